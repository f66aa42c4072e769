using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>search-type over HTTP: searchset Bundles, GET and POST _search, paging links while others write.</summary>
public sealed class FhirSearchTests(FhirServers servers) : IClassFixture<FhirServers>
{
    static string Observation(string code, string date, string patient) => $$"""
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{code}}"}]},
         "subject":{"reference":"Patient/{{patient}}"},"effectiveDateTime":"{{date}}"}
        """;

    static async Task<string> CreateAsync(FhirServer server, string token, string type, string json) =>
        (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/{type}", token, json), HttpStatusCode.Created)).GetProperty("id").GetString()!;

    static string[] EntryIds(JsonElement bundle) =>
        bundle.GetProperty("entry").EnumerateArray().Where(e => e.GetProperty("search").GetProperty("mode").GetString() == "match")
            .Select(e => e.GetProperty("resource").GetProperty("id").GetString()!).ToArray();

    static string? Link(JsonElement bundle, string relation) =>
        bundle.GetProperty("link").EnumerateArray().Where(l => l.GetProperty("relation").GetString() == relation).Select(l => l.GetProperty("url").GetString()).SingleOrDefault();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByTokenDateStringAndReference_ReturnsSearchsetBundle(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patient = await CreateAsync(server, token, "Patient", """{"resourceType":"Patient","name":[{"family":"Ødegård","given":["Kari"]}]}""");
        var weight = await CreateAsync(server, token, "Observation", Observation("29463-7", "2024-02-10T09:00:00Z", patient));
        var height = await CreateAsync(server, token, "Observation", Observation("8302-2", "2024-03-01", patient));
        await CreateAsync(server, token, "Observation", Observation("29463-7", "2023-12-31", "someone-else"));

        var bundle = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation?patient={patient}&code=http://loinc.org|29463-7&date=ge2024-01&_total=accurate", token), HttpStatusCode.OK);
        Assert.Equal("Bundle", bundle.GetProperty("resourceType").GetString());
        Assert.Equal("searchset", bundle.GetProperty("type").GetString());
        Assert.Equal(1, bundle.GetProperty("total").GetInt32());
        Assert.Equal([weight], EntryIds(bundle));
        Assert.Equal($"http://localhost/fhir/Observation/{weight}", bundle.GetProperty("entry")[0].GetProperty("fullUrl").GetString());
        Assert.Contains("code=http%3A%2F%2Floinc.org%7C29463-7", Link(bundle, "self"), StringComparison.Ordinal);
        Assert.Null(Link(bundle, "next"));

        var byDate = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation?subject=Patient/{patient}&date=2024-03", token), HttpStatusCode.OK);
        Assert.Equal([height], EntryIds(byDate));
        var byName = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?name=odeg", token), HttpStatusCode.OK);
        Assert.Equal([patient], EntryIds(byName));
        var posted = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/_search", token, null,
            r => r.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = "8302-2", ["patient"] = patient })), HttpStatusCode.OK);
        Assert.Equal([height], EntryIds(posted));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_FollowingNextLinksWhileOthersWrite_SeesEachResourceOnce(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await CreateAsync(server, token, "Observation", Observation("29463-7", "2024-01-0" + (i + 1), "p")));
            await Task.Delay(2); // ids are time-ordered to the millisecond
        }

        var seen = new List<string>();
        var url = "/fhir/Observation?code=29463-7&_count=2";
        var first = true;
        while (url is not null)
        {
            var page = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, url, token), HttpStatusCode.OK);
            seen.AddRange(EntryIds(page));
            if (first)
            {
                first = false;
                await Task.Delay(2);
                ids.Add(await CreateAsync(server, token, "Observation", Observation("29463-7", "2024-02-01", "p")));
                Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Delete, $"/fhir/Observation/{ids[3]}", token)).StatusCode);
            }
            url = Link(page, "next") is { } next ? new Uri(next).PathAndQuery : null;
        }

        Assert.Equal(ids.Where((_, i) => i != 3), seen);
    }
}
