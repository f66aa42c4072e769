using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>history-system: GET /fhir/_history (FHIR R4 http.html#history).</summary>
public sealed class FhirSystemHistoryTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Observation = """{"resourceType":"Observation","status":"final","code":{"text":"weight"}}""";

    static List<string> Urls(JsonElement bundle) =>
        bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("request").GetProperty("method").GetString() + " " + e.GetProperty("fullUrl").GetString()![(e.GetProperty("fullUrl").GetString()!.IndexOf("/fhir/", StringComparison.Ordinal) + 6)..]).ToList();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SystemHistory_ListsEveryTypeNewestFirst_AndPagesWithoutGapsOrRepeats(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patient = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, """{"resourceType":"Patient"}"""), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var observation = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Patient/{patient}", token, $$"""{"resourceType":"Patient","id":"{{patient}}","active":true}"""), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Delete, $"/fhir/Observation/{observation}", token)).StatusCode);
        var otherTenant = await server.NewTenantTokenAsync();
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", otherTenant, """{"resourceType":"Patient"}""");

        var all = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history", token), HttpStatusCode.OK);
        Assert.Equal("history", all.GetProperty("type").GetString());
        Assert.Equal([$"DELETE Observation/{observation}", $"PUT Patient/{patient}", $"POST Observation/{observation}", $"POST Patient/{patient}"], Urls(all));

        var pages = new List<string>();
        var next = "/fhir/_history?_count=3";
        var pageCount = 0;
        while (next is not null)
        {
            var page = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, next, token), HttpStatusCode.OK);
            pages.AddRange(Urls(page));
            pageCount++;
            next = page.GetProperty("link").EnumerateArray().Where(l => l.GetProperty("relation").GetString() == "next").Select(l => new Uri(l.GetProperty("url").GetString()!).PathAndQuery).FirstOrDefault();
        }
        Assert.Equal(Urls(all), pages);
        Assert.Equal(2, pageCount);

        var (everything, observationsOnly) = await server.NewTenantTokensAsync("system/*.cruds", "system/Observation.rs") is [var a, var b] ? (a, b) : default;
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", everything, Observation), HttpStatusCode.Created);
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", everything, """{"resourceType":"Patient"}"""), HttpStatusCode.Created);
        var filtered = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history", observationsOnly), HttpStatusCode.OK);
        Assert.StartsWith("POST Observation/", Assert.Single(Urls(filtered)), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SystemHistory_Since_AndBadParameters(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation);

        var future = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history?_since=2999-01-01T00:00:00Z", token), HttpStatusCode.OK);
        var past = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history?_since=2000-01-01T00:00:00Z", token), HttpStatusCode.OK);

        Assert.Equal(0, future.GetProperty("entry").GetArrayLength());
        Assert.Equal(1, past.GetProperty("entry").GetArrayLength());
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history?_since=soon", token), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history?_count=-1", token), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history?_cursor=x", token), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history", null), HttpStatusCode.Unauthorized);
    }
}
