using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>_include/_revinclude, chaining, _sort with next links, :text and _elements over HTTP (FHIR R4 search.html).</summary>
public sealed class FhirSearchResultTests(FhirServers servers) : IClassFixture<FhirServers>
{
    static async Task<string> CreateAsync(FhirServer server, string token, string type, string json) =>
        (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/{type}", token, json), HttpStatusCode.Created)).GetProperty("id").GetString()!;

    static string Observation(string patient, string code, string date) =>
        $$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{code}}","display":"Body weight"}]},"subject":{"reference":"Patient/{{patient}}"},"effectiveDateTime":"{{date}}"}""";

    static List<(string Mode, string Url)> Entries(JsonElement bundle) =>
        bundle.GetProperty("entry").EnumerateArray().Select(e => (e.GetProperty("search").GetProperty("mode").GetString()!, e.GetProperty("resource").GetProperty("resourceType").GetString() + "/" + e.GetProperty("resource").GetProperty("id").GetString())).ToList();

    static string? Next(JsonElement bundle) => bundle.GetProperty("link").EnumerateArray().Where(l => l.GetProperty("relation").GetString() == "next")
        .Select(l => new Uri(l.GetProperty("url").GetString()!).PathAndQuery).FirstOrDefault();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_IncludeRevincludeAndChain(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var (token, observationsOnly) = await server.NewTenantTokensAsync("system/*.cruds", "system/Observation.rs") is [var a, var b] ? (a, b) : default;
        var patient = await CreateAsync(server, token, "Patient", """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"77"}],"name":[{"family":"Moreau"}]}""");
        var obs = await CreateAsync(server, token, "Observation", Observation(patient, "29463-7", "2024-02-01"));

        var include = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?code=29463-7&_include=Observation:subject", token), HttpStatusCode.OK);
        Assert.Equal([("match", $"Observation/{obs}"), ("include", $"Patient/{patient}")], Entries(include));
        Assert.Contains("_include=Observation%3Asubject", include.GetProperty("link")[0].GetProperty("url").GetString(), StringComparison.Ordinal);
        var revinclude = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient?_id={patient}&_revinclude=Observation:subject", token), HttpStatusCode.OK);
        Assert.Equal([("match", $"Patient/{patient}"), ("include", $"Observation/{obs}")], Entries(revinclude));
        var chained = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?subject:Patient.identifier=urn:mrn|77", token), HttpStatusCode.OK);
        Assert.Equal([("match", $"Observation/{obs}")], Entries(chained));
        var text = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?code:text=body", token), HttpStatusCode.OK);
        Assert.Equal([("match", $"Observation/{obs}")], Entries(text));

        // A type the token may not read is not included.
        var limited = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?_include=Observation:subject", observationsOnly), HttpStatusCode.OK);
        Assert.Equal([("match", $"Observation/{obs}")], Entries(limited));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?_include=Observation:status", token, null,
            r => r.Headers.TryAddWithoutValidation("Prefer", "handling=strict")), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?_sort=shoe-size", token), HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_SortPagesThroughNextLinks_AndElementsSubsets(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patient = await CreateAsync(server, token, "Patient", """{"resourceType":"Patient"}""");
        var ids = new List<string>();
        foreach (var (code, date) in new[] { ("b", "2020-01-01"), ("a", "2022-01-01"), ("c", "2021-01-01"), ("a", "2021-01-01"), ("b", "2022-01-01") })
            ids.Add(await CreateAsync(server, token, "Observation", Observation(patient, code, date)));

        var seen = new List<string>();
        var next = "/fhir/Observation?_sort=-date,code&_count=2&_elements=code";
        while (next is not null)
        {
            var page = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, next, token), HttpStatusCode.OK);
            foreach (var entry in page.GetProperty("entry").EnumerateArray())
            {
                var resource = entry.GetProperty("resource");
                seen.Add(resource.GetProperty("id").GetString()!);
                Assert.False(resource.TryGetProperty("subject", out _));
                Assert.True(resource.TryGetProperty("code", out _));
                Assert.Equal("SUBSETTED", resource.GetProperty("meta").GetProperty("tag")[0].GetProperty("code").GetString());
            }
            next = Next(page);
        }

        Assert.Equal([ids[1], ids[4], ids[3], ids[2], ids[0]], seen);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?_sort=date&_cursor=bm90LWEtY3Vyc29y", token), HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Summary_ReturnsTheAskedPart_OnReadAndSearch(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patient = await CreateAsync(server, token, "Patient", """
            {"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ana Moreau</div>"},
             "name":[{"family":"Moreau"}],"gender":"female","contact":[{"name":{"family":"Relative"}}]}
            """);

        var summary = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{patient}?_summary=true", token), HttpStatusCode.OK);
        Assert.Equal(["resourceType", "id", "meta", "name", "gender"], summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SUBSETTED", summary.GetProperty("meta").GetProperty("tag")[0].GetProperty("code").GetString());

        var whole = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{patient}?_summary=false", token), HttpStatusCode.OK);
        Assert.True(whole.TryGetProperty("contact", out _));
        Assert.False(whole.GetProperty("meta").TryGetProperty("tag", out _));

        var text = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient?_id={patient}&_summary=text", token), HttpStatusCode.OK);
        var entry = text.GetProperty("entry")[0].GetProperty("resource");
        Assert.Equal(["resourceType", "id", "meta", "text"], entry.EnumerateObject().Select(p => p.Name));
        Assert.Contains(text.GetProperty("link").EnumerateArray(), l => l.GetProperty("url").GetString()!.Contains("_summary=text", StringComparison.Ordinal));

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{patient}?_summary=count", token), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{patient}?_summary=short", token), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?_summary=true&_elements=name", token), HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Flag_IsStoredAndSearchable_LikeEveryServedType(DatabaseProvider provider)
    {
        // The portal's check-in alerts are Flags: other systems must be able to find them.
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patient = await CreateAsync(server, token, "Patient", """{"resourceType":"Patient","name":[{"family":"Moreau"}]}""");
        var flag = await CreateAsync(server, token, "Flag", $$"""
            {"resourceType":"Flag","status":"active","code":{"text":"PHQ-9 item 9 answered above zero"},"subject":{"reference":"Patient/{{patient}}"},"period":{"start":"2026-11-20T10:00:00Z"} }
            """);

        var found = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Flag?patient={patient}&date=ge2026-11-01", token), HttpStatusCode.OK);

        Assert.Equal([("match", $"Flag/{flag}")], Entries(found));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Flag", token, """{"resourceType":"Flag","status":"active"}"""), (HttpStatusCode)422);
    }
}
