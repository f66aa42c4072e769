using System.Security.Cryptography;
using Carevault.Crypto;
using Carevault.Storage.Blobs;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Carevault.Storage.Tests.Blobs;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.Configuration;

namespace Carevault.Storage.Tests.Keys;

/// <summary>
/// <c>carevault keys rotate-master</c> over each blob store and database: headers re-wrapped, bodies untouched, the old
/// key removable, and a rotation that stopped half-way finished by the next run.
/// </summary>
public abstract class MasterKeyRotationTests
{
    // Sizes: empty, sub-chunk, several chunks, and above a 5 MiB part (the S3 store's multipart re-wrap path).
    static readonly int[] Sizes = [0, 1_000, 200_000, 6_000_000];

    protected abstract IBlobStore CreateInner();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Rotate_RewrapsEveryObject_BodiesUnchanged_OldKeyRetired_ReadsByteIdentical(DatabaseProvider provider)
    {
        await using var fixture = await Fixture.CreateAsync(provider, CreateInner());
        var originals = await fixture.WriteBlobsAsync();
        var sealedSecret = await fixture.SealAsync("s1", "the TOTP secret"u8.ToArray());
        var oldKeyId = fixture.Keys.Ring.Active.Id;
        var storedBefore = await fixture.ReadStoredAsync(originals.Keys);

        var report = await fixture.Rotation().RotateAsync(null, _ => { }, default);

        Assert.False(report.Resumed);
        Assert.True(report.Retired);
        Assert.Equal([oldKeyId], report.OlderKeyIds);
        Assert.Equal(originals.Count + 1, report.Total.Rewrapped);
        // The key file now holds the new key alone (0600), so the old key is gone from disk.
        var fileRing = MasterKeyFile.Load(fixture.KeyFile);
        Assert.Equal(report.ActiveKeyId, Assert.Single(fileRing.Keys).Id);
        Assert.NotEqual(oldKeyId, report.ActiveKeyId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fixture.KeyFile));
        // Every row records the new key id; bodies (bytes after the header) are the same bytes; headers changed.
        Assert.All(await fixture.RowKeyIdsAsync(), id => Assert.Equal(report.ActiveKeyId, id));
        var storedAfter = await fixture.ReadStoredAsync(originals.Keys);
        foreach (var key in originals.Keys)
        {
            Assert.Equal(storedBefore[key].Length, storedAfter[key].Length);
            Assert.Equal(storedBefore[key].AsSpan(0, 32).ToArray(), storedAfter[key].AsSpan(0, 32).ToArray());
            Assert.NotEqual(storedBefore[key].AsSpan(32, 96).ToArray(), storedAfter[key].AsSpan(32, 96).ToArray());
            Assert.True(storedBefore[key].AsSpan(BlobFormat.HeaderSize).SequenceEqual(storedAfter[key].AsSpan(BlobFormat.HeaderSize)), $"{key}: body changed");
        }
        // Reads with a ring loaded from the file (no old key) return every original with its SHA-256.
        await fixture.AssertReadableAsync(originals, fileRing);
        Assert.Equal("the TOTP secret"u8.ToArray(), await fixture.UnsealAsync("s1", fileRing));
        Assert.NotEqual(sealedSecret, await fixture.SealedValueAsync("s1"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Rotate_CrashMidway_KeepsTheOldKey_AndTheNextRunFinishesTheSameRotation(DatabaseProvider provider)
    {
        var crashing = new CrashingBlobStore(CreateInner(), crashOnReplace: 2);
        await using var fixture = await Fixture.CreateAsync(provider, crashing);
        var originals = await fixture.WriteBlobsAsync();
        var oldKeyId = fixture.Keys.Ring.Active.Id;
        var storedBefore = await fixture.ReadStoredAsync(originals.Keys);

        await Assert.ThrowsAsync<IOException>(() => fixture.Rotation().RotateAsync("mk-next", _ => { }, default));

        // Half-way: both keys in the file, one object re-wrapped, the rest still under the old key, all readable.
        var midRing = MasterKeyFile.Load(fixture.KeyFile);
        Assert.Equal("mk-next", midRing.Active.Id);
        Assert.Equal(["mk-next", oldKeyId], midRing.Keys.Select(k => k.Id));
        var midIds = await fixture.RowKeyIdsAsync();
        Assert.Equal(1, midIds.Count(id => id == "mk-next"));
        await fixture.AssertReadableAsync(originals, midRing);

        crashing.CrashOnReplace = 0;
        var messages = new List<string>();
        var report = await fixture.Rotation().RotateAsync("mk-other", messages.Add, default);

        Assert.True(report.Resumed);
        Assert.True(report.Retired);
        Assert.Equal("mk-next", report.ActiveKeyId); // finished the rotation that stopped; no third key
        Assert.Contains(messages, m => m.StartsWith("Resuming", StringComparison.Ordinal));
        Assert.Equal(originals.Count - 1, report.Total.Rewrapped);
        var fileRing = MasterKeyFile.Load(fixture.KeyFile);
        Assert.Equal("mk-next", Assert.Single(fileRing.Keys).Id);
        Assert.All(await fixture.RowKeyIdsAsync(), id => Assert.Equal("mk-next", id));
        var storedAfter = await fixture.ReadStoredAsync(originals.Keys);
        foreach (var key in originals.Keys)
            Assert.True(storedBefore[key].AsSpan(BlobFormat.HeaderSize).SequenceEqual(storedAfter[key].AsSpan(BlobFormat.HeaderSize)), $"{key}: body changed");
        await fixture.AssertReadableAsync(originals, fileRing);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Rotate_HeaderRewrittenButRowNotYetUpdated_NextRunRecordsTheKeyWithoutRewritingAgain(DatabaseProvider provider)
    {
        await using var fixture = await Fixture.CreateAsync(provider, CreateInner());
        var originals = await fixture.WriteBlobsAsync();
        // The crash window between a header write and its row update: header under the new key, row still old.
        var ring = fixture.Keys.Ring.Rotate(MasterKey.Generate("mk-new"));
        fixture.Keys.Save(ring);
        var first = originals.Keys.First();
        Assert.True((await fixture.Blobs.RewrapAsync(first, ring, default))!.Rewritten);

        var report = await fixture.Rotation().RotateAsync(null, _ => { }, default);

        Assert.True(report.Resumed);
        Assert.Equal(originals.Count - 1, report.Total.Rewrapped);
        Assert.All(await fixture.RowKeyIdsAsync(), id => Assert.Equal("mk-new", id));
        await fixture.AssertReadableAsync(originals, MasterKeyFile.Load(fixture.KeyFile));
    }

    [Fact]
    public async Task Rotate_WithKeysFromTheEnvironmentAndNoNewerKey_RefusesAndSaysHow()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(database.Settings())
        {
            ["Secrets:MasterKey"] = "mk-env:" + MasterKey.Generate("mk-env").ExportBase64(),
        }).Build();
        var keys = MasterKeys.From(configuration, StorageSettings.From(configuration));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new MasterKeyRotation(keys, []) { SettleTime = TimeSpan.Zero }.RotateAsync(null, _ => { }, default));

        Assert.Contains("Secrets:MasterKey", error.Message, StringComparison.Ordinal);
    }

    sealed class Fixture : IAsyncDisposable
    {
        TestDatabase _database = null!;
        public Db Db { get; private set; } = null!;
        public MasterKeys Keys { get; private set; } = null!;
        public IBlobStore Inner { get; private set; } = null!;
        public EncryptedBlobStore Blobs { get; private set; } = null!;
        public string KeyFile { get; private set; } = null!;

        public static async Task<Fixture> CreateAsync(DatabaseProvider provider, IBlobStore inner)
        {
            var fixture = new Fixture { _database = await TestDatabase.CreateAsync(provider), Inner = inner };
            fixture.KeyFile = Path.Combine(fixture._database.Directory, "master.key");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(fixture._database.Settings()).Build();
            fixture.Keys = MasterKeys.From(configuration, StorageSettings.From(configuration));
            var keys = fixture.Keys;
            fixture.Blobs = new EncryptedBlobStore(inner, () => keys.Ring);
            fixture.Db = fixture._database.OpenDb();
            var blobType = provider == DatabaseProvider.Postgres ? "BYTEA" : "BLOB";
            await fixture.Db.ExecuteAsync($"""
                CREATE TABLE test_blobs (id TEXT NOT NULL PRIMARY KEY, blob_key TEXT NOT NULL, master_key_id TEXT NOT NULL);
                CREATE TABLE test_sealed (id TEXT NOT NULL PRIMARY KEY, secret {blobType});
                """, null, default);
            return fixture;
        }

        public MasterKeyRotation Rotation() => new(Keys,
        [
            new BlobTableRewrapper(Db, Blobs, "test_blobs", "id", "blob_key", "master_key_id"),
            new SealedColumnRewrapper(Db, "test_sealed", "id", "secret"),
        ]) { SettleTime = TimeSpan.Zero };

        public async Task<Dictionary<string, byte[]>> WriteBlobsAsync()
        {
            var originals = new Dictionary<string, byte[]>();
            for (int i = 0; i < Sizes.Length; i++)
            {
                var key = $"tenant-a/report-{i}";
                var bytes = BlobTestData.RandomBytes(Sizes[i], seed: 100 + i);
                var written = await Blobs.WriteAsync(key, new MemoryStream(bytes), default);
                await Db.ExecuteAsync("INSERT INTO test_blobs (id, blob_key, master_key_id) VALUES (@id, @key, @keyId)",
                    new { id = $"job-{i}", key, keyId = written.MasterKeyId }, default);
                originals[key] = bytes;
            }
            return originals;
        }

        public async Task<byte[]> SealAsync(string id, byte[] secret)
        {
            var sealedValue = await Keys.SealAsync(secret, default);
            await Db.ExecuteAsync("INSERT INTO test_sealed (id, secret) VALUES (@id, @sealedValue)", new { id, sealedValue }, default);
            return sealedValue;
        }

        public async Task<byte[]> SealedValueAsync(string id)
        {
            await using var connection = await Db.OpenAsync(default);
            return await connection.QuerySingleAsync<byte[]>("SELECT secret FROM test_sealed WHERE id = @id", new { id });
        }

        public async Task<byte[]> UnsealAsync(string id, MasterKeyRing ring)
        {
            await using var decrypting = DecryptingStream.Open(new MemoryStream(await SealedValueAsync(id)), ring);
            return await BlobTestData.ReadAllAsync(decrypting);
        }

        public async Task<List<string>> RowKeyIdsAsync()
        {
            await using var connection = await Db.OpenAsync(default);
            return [.. await connection.QueryAsync<string>("SELECT master_key_id FROM test_blobs ORDER BY id")];
        }

        public async Task<Dictionary<string, byte[]>> ReadStoredAsync(IEnumerable<string> keys)
        {
            var stored = new Dictionary<string, byte[]>();
            foreach (var key in keys)
            {
                await using var stream = await Inner.OpenReadAsync(key, default);
                stored[key] = await BlobTestData.ReadAllAsync(stream!);
            }
            return stored;
        }

        public async Task AssertReadableAsync(Dictionary<string, byte[]> originals, MasterKeyRing ring)
        {
            var reader = new EncryptedBlobStore(Inner, ring);
            foreach (var (key, bytes) in originals)
            {
                await using var read = await reader.OpenReadAsync(key, default);
                var plaintext = await BlobTestData.ReadAllAsync(read!);
                Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(plaintext));
                Assert.True(bytes.AsSpan().SequenceEqual(plaintext), $"{key}: plaintext differs");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Db.DisposeAsync();
            (Inner as IDisposable)?.Dispose();
            await _database.DisposeAsync();
        }
    }

    /// <summary>Fails the Nth header replacement as a killed process would: that object and the rest stay as they were.</summary>
    sealed class CrashingBlobStore(IBlobStore inner, int crashOnReplace) : IBlobStore, IDisposable
    {
        int _replaces;

        public int CrashOnReplace { get; set; } = crashOnReplace;

        public Task WriteAsync(string key, Stream content, CancellationToken ct) => inner.WriteAsync(key, content, ct);
        public Task<Stream?> OpenReadAsync(string key, CancellationToken ct) => inner.OpenReadAsync(key, ct);
        public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
        public Task CheckWritableAsync(CancellationToken ct) => inner.CheckWritableAsync(ct);

        public Task<bool> ReplacePrefixAsync(string key, ReadOnlyMemory<byte> prefix, CancellationToken ct) =>
            ++_replaces == CrashOnReplace ? throw new IOException("simulated crash") : inner.ReplacePrefixAsync(key, prefix, ct);

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }
}

public sealed class FolderMasterKeyRotationTests : MasterKeyRotationTests, IDisposable
{
    readonly string _folder = Path.Combine(Path.GetTempPath(), "carevault-rotation-tests", Guid.NewGuid().ToString("N"));

    protected override IBlobStore CreateInner() => new LocalFolderBlobStore(Path.Combine(_folder, Guid.NewGuid().ToString("N")));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}

[Collection(S3rverGroup.Name)]
public sealed class S3MasterKeyRotationTests(S3rverFixture s3rver) : MasterKeyRotationTests
{
    protected override IBlobStore CreateInner() => s3rver.CreateStore(partSize: 5 * 1024 * 1024);
}
