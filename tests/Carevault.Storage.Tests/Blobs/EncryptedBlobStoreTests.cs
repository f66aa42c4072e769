using System.Security.Cryptography;
using System.Text;
using Carevault.Crypto;
using Carevault.Storage.Blobs;

namespace Carevault.Storage.Tests.Blobs;

/// <summary>The encrypted store over each blob store; derived classes pick the store.</summary>
public abstract class EncryptedBlobStoreTests
{
    const string PatientMarker = "Patient: Ada Lovelace, born 1815-12-10, MRN 4711-0815";
    static readonly MasterKey OldKey = MasterKey.Generate("mk-2026-10");
    static readonly MasterKey NewKey = MasterKey.Generate("mk-2026-11");

    protected abstract IBlobStore Inner { get; }

    EncryptedBlobStore Store(MasterKeyRing? keys = null) => new(Inner, keys ?? new MasterKeyRing(OldKey));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]     // exactly one chunk
    [InlineData(1_000_000)]
    [InlineData(20_000_000)] // multipart on S3
    public async Task WriteThenRead_ReturnsThePlaintextAndItsHash(int length)
    {
        var plaintext = BlobTestData.RandomBytes(length, seed: length + 1);

        var result = await Store().WriteAsync("tenant-a/report.pdf", new MemoryStream(plaintext), default);

        Assert.Equal("tenant-a/report.pdf", result.Key);
        Assert.Equal(length, result.PlaintextLength);
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256.ToArray());
        Assert.Equal(OldKey.Id, result.MasterKeyId);
        Assert.Equal(BlobFormat.GetCiphertextLength(length), result.StoredLength);
        await using (var stored = await Inner.OpenReadAsync("tenant-a/report.pdf", default))
            Assert.Equal(result.StoredLength, stored!.Length);
        await using var read = await Store().OpenReadAsync("tenant-a/report.pdf", default);
        Assert.NotNull(read);
        Assert.Equal(length, read.Length);
        Assert.Equal(plaintext, await BlobTestData.ReadAllAsync(read));
    }

    [Fact]
    public async Task Write_StoredBytesDoNotContainThePlaintext()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 5_000; i++) text.Append(PatientMarker).Append('\n');
        var plaintext = Encoding.UTF8.GetBytes(text.ToString());

        await Store().WriteAsync("notes", new MemoryStream(plaintext), default);

        await using var stored = await Inner.OpenReadAsync("notes", default);
        var bytes = await BlobTestData.ReadAllAsync(stored!);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes("Ada Lovelace")));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes("4711-0815")));
        Assert.True(bytes.AsSpan().StartsWith("CVEB"u8));
    }

    [Fact]
    public async Task OpenRead_WhenMissing_ReturnsNull()
    {
        Assert.Null(await Store().OpenReadAsync("missing", default));
        Assert.Null(await Store().OpenRangeAsync("missing", 0, 1, default));
        Assert.Null(await Store().RewrapAsync("missing", new MasterKeyRing(NewKey, [OldKey]), default));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(65_535, 2)]         // across the first chunk boundary
    [InlineData(65_536, 65_536)]    // exactly chunk 1
    [InlineData(100_000, 300_000)]  // several chunks, unaligned both ends
    [InlineData(999_999, 1)]        // the last byte
    [InlineData(0, 1_000_000)]      // everything
    [InlineData(1_000_000, 0)]      // empty range at the end
    public async Task OpenRange_ReturnsThePlaintextSlice(int offset, int length)
    {
        var plaintext = BlobTestData.RandomBytes(1_000_000, seed: 5);
        await Store().WriteAsync("ranged", new MemoryStream(plaintext), default);

        await using var range = await Store().OpenRangeAsync("ranged", offset, length, default);

        Assert.Equal(length, range!.Length);
        Assert.Equal(plaintext.AsSpan(offset, length).ToArray(), await BlobTestData.ReadAllAsync(range));
    }

    [Fact]
    public async Task OpenRead_SeekingLikeHttpRangeProcessing_ReturnsSlices()
    {
        var plaintext = BlobTestData.RandomBytes(500_000, seed: 6);
        await Store().WriteAsync("seek", new MemoryStream(plaintext), default);
        await using var read = await Store().OpenReadAsync("seek", default);
        var buffer = new byte[70_000];

        foreach (var offset in new[] { 400_000, 10, 130_000, 430_000 })
        {
            read!.Seek(offset, SeekOrigin.Begin);
            await read.ReadExactlyAsync(buffer);
            Assert.Equal(plaintext.AsSpan(offset, buffer.Length).ToArray(), buffer);
        }
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, 1_001)]
    [InlineData(1_000, 1)]
    public async Task OpenRange_OutsideThePlaintext_Throws(long offset, long length)
    {
        await Store().WriteAsync("small", new MemoryStream(new byte[1_000]), default);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store().OpenRangeAsync("small", offset, length, default));
    }

    [Theory]
    [InlineData(300_000)]
    [InlineData(20_000_000)] // above the S3 part size: multipart replacement of the object
    public async Task Rewrap_ThenReadWithOnlyTheNewKey_ReturnsThePlaintext(int length)
    {
        var plaintext = BlobTestData.RandomBytes(length, seed: 9);
        await Store().WriteAsync("rotate", new MemoryStream(plaintext), default);
        var before = await ReadStoredAsync("rotate");

        var rewrap = await Store().RewrapAsync("rotate", new MasterKeyRing(NewKey, [OldKey]), default);

        Assert.Equal(new BlobRewrapResult { Key = "rotate", PreviousKeyId = OldKey.Id, KeyId = NewKey.Id, Rewritten = true }, rewrap);
        var after = await ReadStoredAsync("rotate");
        Assert.Equal(before.Length, after.Length);
        Assert.True(before.AsSpan(BlobFormat.HeaderSize).SequenceEqual(after.AsSpan(BlobFormat.HeaderSize)), "the body changed");
        Assert.True(before.AsSpan(0, 32).SequenceEqual(after.AsSpan(0, 32)), "the immutable header part changed");
        await using (var read = await Store(new MasterKeyRing(NewKey)).OpenReadAsync("rotate", default))
            Assert.Equal(plaintext, await BlobTestData.ReadAllAsync(read!));
        var error = await Assert.ThrowsAsync<BlobCryptoException>(() => Store(new MasterKeyRing(OldKey)).OpenReadAsync("rotate", default));
        Assert.Equal(BlobCryptoError.UnknownKeyId, error.Error);
    }

    [Fact]
    public async Task Rewrap_WhenAlreadyUnderTheActiveKey_LeavesTheBlob()
    {
        await Store().WriteAsync("current", new MemoryStream([1, 2, 3]), default);
        var before = await ReadStoredAsync("current");

        var rewrap = await Store().RewrapAsync("current", new MasterKeyRing(OldKey), default);

        Assert.Equal(new BlobRewrapResult { Key = "current", PreviousKeyId = OldKey.Id, KeyId = OldKey.Id, Rewritten = false }, rewrap);
        Assert.Equal(before, await ReadStoredAsync("current"));
    }

    [Fact]
    public async Task Rewrap_WithoutTheWrappingKey_ThrowsAndLeavesTheBlob()
    {
        await Store().WriteAsync("orphan", new MemoryStream([1, 2, 3]), default);
        var before = await ReadStoredAsync("orphan");

        var error = await Assert.ThrowsAsync<BlobCryptoException>(() => Store().RewrapAsync("orphan", new MasterKeyRing(NewKey), default));

        Assert.Equal(BlobCryptoError.UnknownKeyId, error.Error);
        Assert.Equal(before, await ReadStoredAsync("orphan"));
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(12_000_000)] // S3: after the multipart upload has started
    public async Task Write_WhenClientDisconnectsMidway_LeavesNoBlob(int failAfter)
    {
        using var cts = new CancellationTokenSource();
        var source = new InterruptedStream(BlobTestData.RandomBytes(failAfter * 2, seed: 1), failAfter, cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store().WriteAsync("upload", source, cts.Token));

        Assert.Null(await Inner.OpenReadAsync("upload", default));
        Assert.Null(await Store().OpenReadAsync("upload", default));
    }

    [Fact]
    public async Task Write_WhenSourceFails_LeavesNoBlob()
    {
        var source = new InterruptedStream(BlobTestData.RandomBytes(400_000, seed: 2), 200_000);

        await Assert.ThrowsAsync<IOException>(() => Store().WriteAsync("upload", source, default));

        Assert.Null(await Inner.OpenReadAsync("upload", default));
    }

    [Fact]
    public async Task Read_WhenStoredBytesWereAltered_ThrowsBeforeReleasingTheChunk()
    {
        var plaintext = BlobTestData.RandomBytes(200_000, seed: 4);
        await Store().WriteAsync("tampered", new MemoryStream(plaintext), default);
        var stored = await ReadStoredAsync("tampered");
        stored[BlobFormat.HeaderSize + 65_536 + 16 + 100] ^= 1; // a byte of chunk 1
        await Inner.WriteAsync("tampered", new MemoryStream(stored), default);

        await using var read = await Store().OpenReadAsync("tampered", default);
        var first = new byte[65_536];
        await read!.ReadExactlyAsync(first);
        var error = await Assert.ThrowsAsync<BlobCryptoException>(async () => await read.ReadExactlyAsync(new byte[10]));

        Assert.Equal(plaintext.AsSpan(0, 65_536).ToArray(), first);
        Assert.Equal(BlobCryptoError.ChunkAuthenticationFailed, error.Error);
        Assert.Equal(1, error.ChunkIndex);
    }

    [Fact]
    public async Task Read_WhenStoredBlobWasCut_Throws()
    {
        await Store().WriteAsync("cut", new MemoryStream(BlobTestData.RandomBytes(200_000, seed: 8)), default);
        var stored = await ReadStoredAsync("cut");
        await Inner.WriteAsync("cut", new MemoryStream(stored, 0, BlobFormat.HeaderSize + 2 * (65_536 + 16)), default);

        await using var read = await Store().OpenReadAsync("cut", default);
        var error = await Assert.ThrowsAsync<BlobCryptoException>(() => BlobTestData.ReadAllAsync(read!));

        Assert.Equal(BlobCryptoError.Truncated, error.Error);
    }

    async Task<byte[]> ReadStoredAsync(string key)
    {
        await using var stored = await Inner.OpenReadAsync(key, default);
        return await BlobTestData.ReadAllAsync(stored!);
    }
}

public sealed class EncryptedBlobStoreOnLocalFolderTests : EncryptedBlobStoreTests, IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));
    readonly LocalFolderBlobStore _store;

    public EncryptedBlobStoreOnLocalFolderTests() => _store = new LocalFolderBlobStore(_root);

    protected override IBlobStore Inner => _store;

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

[Collection(S3rverGroup.Name)]
public sealed class EncryptedBlobStoreOnS3Tests(S3rverFixture s3rver) : EncryptedBlobStoreTests, IDisposable
{
    readonly S3BlobStore _store = s3rver.CreateStore();

    protected override IBlobStore Inner => _store;

    public void Dispose() => _store.Dispose();
}
