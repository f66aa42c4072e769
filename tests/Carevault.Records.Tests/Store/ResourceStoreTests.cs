using System.Text;
using System.Text.Json;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Records.Tests.Store;

public sealed class ResourceStoreTests
{
    const string Patient = """{"resourceType":"Patient","id":"client-chosen","meta":{"versionId":"77","profile":["http://example.org/p"]},"active":true,"name":[{"family":"Müller","given":["Anna"]}],"birthDate":"1980-05-17"}""";

    static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    static byte[] Bytes(string json) => Encoding.UTF8.GetBytes(json);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Create_ThenRead_AssignsIdAndMetaAndKeepsContent(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();

        var created = await h.CreateAsync(tenant, Patient);
        var read = await h.Store.ReadAsync(tenant, "Patient", created.Id, default);

        Assert.True(read.IsSuccess);
        Assert.NotEqual("client-chosen", created.Id);
        Assert.Equal(32, created.Id.Length);
        Assert.Equal(1, read.Value!.VersionId);
        Assert.Equal(h.Clock.GetUtcNow().ToUnixTimeMilliseconds(), read.Value.LastUpdated);
        var body = Json(read.Value.Body);
        Assert.Equal(created.Id, body.GetProperty("id").GetString());
        Assert.Equal("1", body.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("2026-11-21T12:00:00.000Z", body.GetProperty("meta").GetProperty("lastUpdated").GetString());
        Assert.Equal("http://example.org/p", body.GetProperty("meta").GetProperty("profile")[0].GetString());
        Assert.Equal("Müller", body.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("1980-05-17", body.GetProperty("birthDate").GetString());
        Assert.True(body.GetProperty("active").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Read_WhenResourceBelongsToOtherTenant_IsNotFound(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var created = await h.CreateAsync("tenant-a", Patient);

        var read = await h.Store.ReadAsync("tenant-b", "Patient", created.Id, default);
        var update = await h.Store.UpdateAsync("tenant-b", "Patient", created.Id, Bytes(Patient.Replace("client-chosen", created.Id, StringComparison.Ordinal)), null, default);
        var delete = await h.Store.DeleteAsync("tenant-b", "Patient", created.Id, null, default);
        var history = await h.Store.HistoryAsync("tenant-b", "Patient", created.Id, null, null, 10, default);
        var typeHistory = await h.Store.HistoryAsync("tenant-b", "Patient", null, null, null, 10, default);
        var search = await h.SearchAsync("tenant-b", "Patient", "family=muller");

        Assert.Equal(RecordErrorKind.NotFound, read.Error?.Kind);
        Assert.Equal(RecordErrorKind.MethodNotAllowed, update.Error?.Kind);
        Assert.Equal(RecordErrorKind.NotFound, delete.Error?.Kind);
        Assert.Equal(RecordErrorKind.NotFound, history.Error?.Kind);
        Assert.Empty(typeHistory.Value!);
        Assert.Empty(search.Resources);
        Assert.True((await h.Store.ReadAsync("tenant-a", "Patient", created.Id, default)).IsSuccess);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Update_WithIfMatch_VersionsAndRejectsStaleVersion(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var created = await h.CreateAsync(tenant, Patient);
        var v2Body = Bytes($$"""{"resourceType":"Patient","id":"{{created.Id}}","active":false}""");

        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var v2 = await h.Store.UpdateAsync(tenant, "Patient", created.Id, v2Body, 1, default);
        var stale = await h.Store.UpdateAsync(tenant, "Patient", created.Id, v2Body, 1, default);
        var v1 = await h.Store.ReadVersionAsync(tenant, "Patient", created.Id, 1, default);

        Assert.Equal(2, v2.Value!.VersionId);
        Assert.Equal(created.LastUpdated + 5000, v2.Value.LastUpdated);
        Assert.False(Json(v2.Value.Body).GetProperty("active").GetBoolean());
        Assert.Equal(RecordErrorKind.PreconditionFailed, stale.Error?.Kind);
        Assert.True(Json(v1.Value!.Body).GetProperty("active").GetBoolean());
        var history = (await h.Store.HistoryAsync(tenant, "Patient", created.Id, null, null, 10, default)).Value!;
        Assert.Equal([2L, 1L], history.Select(e => e.Resource.VersionId));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Update_WhenBodyIdDiffersOrIsMissing_IsBadRequestAndStoresNothing(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var created = await h.CreateAsync(tenant, Patient);

        var other = await h.Store.UpdateAsync(tenant, "Patient", created.Id, Bytes("""{"resourceType":"Patient","id":"other"}"""), null, default);
        var missing = await h.Store.UpdateAsync(tenant, "Patient", created.Id, Bytes("""{"resourceType":"Patient"}"""), null, default);

        Assert.Equal(RecordErrorKind.BadRequest, other.Error?.Kind);
        Assert.Equal(RecordErrorKind.BadRequest, missing.Error?.Kind);
        Assert.Equal(1, (await h.Store.ReadAsync(tenant, "Patient", created.Id, default)).Value!.VersionId);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Delete_KeepsHistoryAndReadsAsGone(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var created = await h.CreateAsync(tenant, Patient);

        var deleted = await h.Store.DeleteAsync(tenant, "Patient", created.Id, null, default);
        var again = await h.Store.DeleteAsync(tenant, "Patient", created.Id, null, default);

        Assert.Equal(2, deleted.Value!.VersionId);
        Assert.Equal(2, again.Value!.VersionId);
        Assert.Equal(RecordErrorKind.Gone, (await h.Store.ReadAsync(tenant, "Patient", created.Id, default)).Error?.Kind);
        Assert.Equal(RecordErrorKind.Gone, (await h.Store.ReadVersionAsync(tenant, "Patient", created.Id, 2, default)).Error?.Kind);
        Assert.True((await h.Store.ReadVersionAsync(tenant, "Patient", created.Id, 1, default)).IsSuccess);
        var history = (await h.Store.HistoryAsync(tenant, "Patient", created.Id, null, null, 10, default)).Value!;
        Assert.Equal([true, false], history.Select(e => e.Resource.Deleted));
        Assert.Empty((await h.SearchAsync(tenant, "Patient", "family=muller")).Resources);
        Assert.Empty((await h.SearchAsync(tenant, "Patient", "")).Resources);
        await using var connection = await h.Db.OpenAsync(default);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_idx_string WHERE tenant_id = @tenant", new { tenant }));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Create_WithInvalidContent_FailsAndStoresNothing(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();

        var malformed = await h.Store.CreateAsync(tenant, "Patient", Bytes("""{"resourceType":"Patient","""), default);
        var wrongType = await h.Store.CreateAsync(tenant, "Patient", Bytes("""{"resourceType":"Observation","status":"final","code":{"text":"x"}}"""), default);
        var unknown = await h.Store.CreateAsync(tenant, "Patient", Bytes("""{"resourceType":"Patient","shoeSize":42}"""), default);
        var badCode = await h.Store.CreateAsync(tenant, "Patient", Bytes("""{"resourceType":"Patient","gender":"sometimes"}"""), default);

        Assert.Equal(RecordErrorKind.BadRequest, malformed.Error?.Kind);
        Assert.Equal(RecordErrorKind.BadRequest, wrongType.Error?.Kind);
        Assert.Equal(RecordErrorKind.BadRequest, unknown.Error?.Kind);
        Assert.Contains(unknown.Error!.Issues!, i => i.Location == "Patient.shoeSize");
        Assert.Equal(RecordErrorKind.Unprocessable, badCode.Error?.Kind);
        Assert.Contains(badCode.Error!.Issues!, i => i.Location == "Patient.gender");
        await using var connection = await h.Db.OpenAsync(default);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_resources"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_history"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task History_OfType_PagesNewestFirstByCursor(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await h.CreateAsync(tenant, Patient)).Id);

        var first = (await h.Store.HistoryAsync(tenant, "Patient", null, null, null, 3, default)).Value!;
        var second = (await h.Store.HistoryAsync(tenant, "Patient", null, null, first[^1].Seq, 3, default)).Value!;

        Assert.Equal(ids.AsEnumerable().Reverse(), first.Concat(second).Select(e => e.Resource.Id));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Update_Concurrently_EveryWriteGetsItsOwnVersion(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var created = await h.CreateAsync(tenant, Patient);
        var body = Bytes($$"""{"resourceType":"Patient","id":"{{created.Id}}","active":true}""");

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => h.Store.UpdateAsync(tenant, "Patient", created.Id, body, null, default))));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.Message));
        Assert.Equal(Enumerable.Range(2, 6).Select(v => (long)v), results.Select(r => r.Value!.VersionId).Order());
        Assert.Equal(7, (await h.Store.ReadAsync(tenant, "Patient", created.Id, default)).Value!.VersionId);
    }

    public static TheoryData<DatabaseProvider, string> Examples()
    {
        var data = new TheoryData<DatabaseProvider, string>();
        foreach (var provider in TestDatabase.PostgresServer is null ? [DatabaseProvider.Sqlite] : new[] { DatabaseProvider.Sqlite, DatabaseProvider.Postgres })
            foreach (var file in new[] { "patient-example.json", "observation-example.json", "documentreference-example.json", "documentreference-with-base64-attachment.json" })
                data.Add(provider, file);
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Create_OfficialExample_ReadsBackEveryElement(DatabaseProvider provider, string file)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var json = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "data", "fhir", file));
        var original = JsonDocument.Parse(Carevault.Fhir.FhirJson.SkipUtf8Bom(json)).RootElement;
        var type = original.GetProperty("resourceType").GetString()!;

        var created = await h.Store.CreateAsync(tenant, type, json, default);
        Assert.True(created.IsSuccess, string.Join("; ", created.Error?.Issues?.Select(i => i.ToString()) ?? [created.Error?.Message ?? ""]));
        var read = Json((await h.Store.ReadAsync(tenant, type, created.Value!.Id, default)).Value!.Body);

        foreach (var property in original.EnumerateObject())
        {
            if (property.Name is "id" or "meta") continue;
            Assert.True(JsonElement.DeepEquals(property.Value, read.GetProperty(property.Name)), property.Name);
        }
        Assert.Equal(original.EnumerateObject().Count(p => p.Name is not ("id" or "meta")), read.EnumerateObject().Count(p => p.Name is not ("id" or "meta")));
    }
}
