using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>read, vread, create, update, delete and history through the real host (FHIR R4 http.html).</summary>
public sealed class FhirCrudTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Patient = """{"resourceType":"Patient","active":true,"name":[{"family":"Chalmers","given":["Peter"]}],"gender":"male","birthDate":"1974-12-25"}""";

    static string WithId(string json, string id) => json.Replace("{\"resourceType\":\"Patient\",", $"{{\"resourceType\":\"Patient\",\"id\":\"{id}\",", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Crud_CreateReadUpdateDelete_VersionsEveryStep(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var created = await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient);
        var body = await FhirAssert.JsonAsync(created, HttpStatusCode.Created);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"http://localhost/fhir/Patient/{id}/_history/1", created.Headers.Location?.ToString());
        Assert.Equal("W/\"1\"", created.Headers.ETag?.ToString());
        Assert.NotNull(created.Content.Headers.LastModified);
        Assert.Equal("application/fhir+json", created.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Chalmers", body.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("1974-12-25", body.GetProperty("birthDate").GetString());

        var read = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", token), HttpStatusCode.OK);
        Assert.Equal("1", read.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("male", read.GetProperty("gender").GetString());

        var updated = await server.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", token, WithId(Patient, id).Replace("\"active\":true", "\"active\":false", StringComparison.Ordinal),
            r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        var v2 = await FhirAssert.JsonAsync(updated, HttpStatusCode.OK);
        Assert.Equal("2", v2.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.False(v2.GetProperty("active").GetBoolean());
        Assert.Equal("W/\"2\"", updated.Headers.ETag?.ToString());

        var stale = await server.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", token, WithId(Patient, id), r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        await FhirAssert.IsOutcomeAsync(stale, HttpStatusCode.PreconditionFailed);

        var deleted = await server.SendAsync(HttpMethod.Delete, $"/fhir/Patient/{id}", token);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", token), HttpStatusCode.Gone);

        var v1 = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}/_history/1", token), HttpStatusCode.OK);
        Assert.True(v1.GetProperty("active").GetBoolean());
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}/_history/9", token), HttpStatusCode.NotFound);

        var history = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}/_history", token), HttpStatusCode.OK);
        Assert.Equal("history", history.GetProperty("type").GetString());
        var entries = history.GetProperty("entry").EnumerateArray().ToList();
        Assert.Equal(["DELETE", "PUT", "POST"], entries.Select(e => e.GetProperty("request").GetProperty("method").GetString()));
        Assert.Equal(["W/\"3\"", "W/\"2\"", "W/\"1\""], entries.Select(e => e.GetProperty("response").GetProperty("etag").GetString()));
        Assert.False(entries[0].TryGetProperty("resource", out _));

        var typeHistory = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient/_history?_count=2", token), HttpStatusCode.OK);
        Assert.Equal(2, typeHistory.GetProperty("entry").GetArrayLength());
        var next = typeHistory.GetProperty("link").EnumerateArray().Single(l => l.GetProperty("relation").GetString() == "next").GetProperty("url").GetString()!;
        var rest = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, new Uri(next).PathAndQuery, token), HttpStatusCode.OK);
        Assert.Equal("W/\"1\"", rest.GetProperty("entry")[0].GetProperty("response").GetProperty("etag").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Read_WhenResourceBelongsToOtherTenant_Returns404(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var tokenA = await server.NewTenantTokenAsync();
        var tokenB = await server.NewTenantTokenAsync();
        var created = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", tokenA, Patient), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", tokenB), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}/_history/1", tokenB), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}/_history", tokenB), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", tokenB, WithId(Patient, id)), HttpStatusCode.MethodNotAllowed);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Delete, $"/fhir/Patient/{id}", tokenB), HttpStatusCode.NotFound);
        var search = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?family=chalmers&_total=accurate", tokenB), HttpStatusCode.OK);
        Assert.Equal(0, search.GetProperty("total").GetInt32());
        var typeHistory = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient/_history", tokenB), HttpStatusCode.OK);
        Assert.Equal(0, typeHistory.GetProperty("entry").GetArrayLength());
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", tokenA), HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Create_WithPreferReturn_AnswersMinimalOrOutcome(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var minimal = await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient, r => r.Headers.TryAddWithoutValidation("Prefer", "return=minimal"));
        var outcome = await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient, r => r.Headers.TryAddWithoutValidation("Prefer", "return=OperationOutcome"));

        Assert.Equal(HttpStatusCode.Created, minimal.StatusCode);
        Assert.Empty(await minimal.Content.ReadAsByteArrayAsync());
        Assert.NotNull(minimal.Headers.Location);
        var body = await FhirAssert.IsOutcomeAsync(outcome, HttpStatusCode.Created);
        Assert.Equal("information", body.GetProperty("issue")[0].GetProperty("severity").GetString());
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, minimal.Headers.Location!.AbsolutePath.Split("/_history")[0], token), HttpStatusCode.OK);
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
    public async Task Create_OfficialExample_ReadsBackUnchanged(DatabaseProvider provider, string file)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var json = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "data", "fhir", file));
        var original = JsonDocument.Parse(json).RootElement;
        var type = original.GetProperty("resourceType").GetString()!;

        var created = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/{type}", token, json), HttpStatusCode.Created);
        var read = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/{type}/{created.GetProperty("id").GetString()}", token), HttpStatusCode.OK);

        foreach (var property in original.EnumerateObject().Where(p => p.Name is not ("id" or "meta")))
            Assert.True(JsonElement.DeepEquals(property.Value, read.GetProperty(property.Name)), property.Name);
    }
}
