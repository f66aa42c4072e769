using System.Net;
using System.Security.Cryptography;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Crypto;
using Carevault.Identity.Auditing;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// <c>carevault keys rotate-master</c> (the real binary) beside a running server: every original is re-wrapped with
/// its body untouched, the old key leaves the key file, the running server follows the file and still serves every
/// original byte-identical, and the rotation is in the audit trail as a key-rotation event.
/// </summary>
public sealed class MasterKeyRotationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RotateMaster_BesideARunningServer_OriginalsStayByteIdentical_OldKeyRetired_Audited(DatabaseProvider provider)
    {
        await using var app = await IngestionApp.StartAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var originals = new Dictionary<string, byte[]>
        {
            [await IngestionApp.SubmitAsync(http, Reports.Pdf(), "application/pdf")] = Reports.Pdf(),
            [await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("rot-1")), "application/fhir+json")] = IngestionApp.Utf8(Reports.PatientAndObservation("rot-1")),
        };
        var keyFile = Path.Combine(app.Database.Directory, "master.key");
        var oldKeyId = MasterKeyFile.Load(keyFile).Active.Id;
        var storedBefore = StoredBlobs(app);

        var (exitCode, output) = await CarevaultProcess.RunAsync(["keys", "rotate-master", "--key-id", "mk-rotated",
            "--data-dir", app.Database.Directory, $"--Database:Provider={provider}", $"--Database:ConnectionString={app.Database.ConnectionString}"]);

        Assert.True(exitCode == 0, output);
        Assert.Contains($"Retired {oldKeyId}", output, StringComparison.Ordinal);
        Assert.Equal("mk-rotated", Assert.Single(MasterKeyFile.Load(keyFile).Keys).Id);
        var storedAfter = StoredBlobs(app);
        Assert.Equal(storedBefore.Keys.Order(), storedAfter.Keys.Order());
        foreach (var (path, before) in storedBefore)
        {
            Assert.True(before.AsSpan(BlobFormat.HeaderSize).SequenceEqual(storedAfter[path].AsSpan(BlobFormat.HeaderSize)), "a body changed");
            Assert.Equal("mk-rotated", BlobHeader.Parse(storedAfter[path].AsSpan(0, BlobFormat.HeaderSize)).KeyId);
        }
        await using var db = app.Database.OpenDb();
        await using var connection = await db.OpenAsync(default);
        Assert.All(await connection.QueryAsync<string>("SELECT master_key_id FROM ingestion_jobs"), id => Assert.Equal("mk-rotated", id));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM audit_records WHERE action = @action AND detail = 'cli: keys rotate-master' AND actor_kind = 'operator' AND status = 200",
            new { action = AuditActions.Name(AuditAction.KeyRotation) }));

        // The running server has followed the key file (old key gone) and serves each original, its hash verified.
        await Task.Delay(Carevault.Storage.Keys.MasterKeys.ReloadInterval);
        foreach (var (jobId, bytes) in originals)
        {
            var response = await http.GetAsync(new Uri($"/api/reports/{jobId}/original", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var downloaded = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(downloaded));
            Assert.Equal(bytes, downloaded);
        }
        // New uploads are wrapped by the new key.
        var next = await IngestionApp.SubmitAsync(http, Reports.Pdf(), "application/pdf");
        Assert.Equal("mk-rotated", await connection.ExecuteScalarAsync<string>("SELECT master_key_id FROM ingestion_jobs WHERE id = @next", new { next }));
    }

    static Dictionary<string, byte[]> StoredBlobs(IngestionApp app) =>
        Directory.EnumerateFiles(app.OriginalsDirectory, "*", SearchOption.AllDirectories).ToDictionary(path => path, File.ReadAllBytes);
}
