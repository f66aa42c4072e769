using System.Text;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Records.Tests.Store;

/// <summary>patch through the store: applied to the current version, validated and versioned like an update.</summary>
public sealed class PatchTests
{
    const string Patient = """{"resourceType":"Patient","active":true,"name":[{"family":"Ito","given":["Ren"]}],"birthDate":"1990-01-02"}""";

    static byte[] Bytes(string json) => Encoding.UTF8.GetBytes(json);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Patch_VersionsAndReindexes_AndRefusesInvalidResults(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var created = await h.CreateAsync(tenant, Patient);

        var patched = await h.Store.PatchAsync(tenant, "Patient", created.Id, Bytes("""[{"op":"replace","path":"/name/0/family","value":"Sato"},{"op":"remove","path":"/active"}]"""), 1, default);
        var stale = await h.Store.PatchAsync(tenant, "Patient", created.Id, Bytes("""[{"op":"remove","path":"/birthDate"}]"""), 1, default);
        var invalid = await h.Store.PatchAsync(tenant, "Patient", created.Id, Bytes("""[{"op":"add","path":"/gender","value":"robot"}]"""), null, default);
        var renamed = await h.Store.PatchAsync(tenant, "Patient", created.Id, Bytes("""[{"op":"replace","path":"/id","value":"other"}]"""), null, default);
        var unknown = await h.Store.PatchAsync(tenant, "Patient", "nope", Bytes("[]"), null, default);
        var otherTenant = await h.Store.PatchAsync(StoreHarness.Tenant(), "Patient", created.Id, Bytes("[]"), null, default);

        Assert.True(patched.IsSuccess, patched.Error?.ToString());
        Assert.Equal(2, patched.Value!.VersionId);
        Assert.Contains("\"family\":\"Sato\"", patched.Value.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"active\"", patched.Value.Body, StringComparison.Ordinal);
        Assert.Contains("\"birthDate\":\"1990-01-02\"", patched.Value.Body, StringComparison.Ordinal);
        Assert.Equal(RecordErrorKind.PreconditionFailed, stale.Error?.Kind);
        Assert.Equal(RecordErrorKind.Unprocessable, invalid.Error?.Kind);
        Assert.Equal("Patient.gender", invalid.Error!.Issues![0].Location);
        Assert.Equal(RecordErrorKind.BadRequest, renamed.Error?.Kind);
        Assert.Equal(RecordErrorKind.NotFound, unknown.Error?.Kind);
        Assert.Equal(RecordErrorKind.NotFound, otherTenant.Error?.Kind);
        Assert.Single((await h.SearchAsync(tenant, "Patient", "family=sato")).Resources);
        Assert.Empty((await h.SearchAsync(tenant, "Patient", "family=ito")).Resources);
        Assert.Equal(2, (await h.Store.ReadAsync(tenant, "Patient", created.Id, default)).Value!.VersionId);
    }
}
