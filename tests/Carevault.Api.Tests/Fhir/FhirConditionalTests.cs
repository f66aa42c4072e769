using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>Conditional create, update and delete, over HTTP and in Bundles (FHIR R4 http.html#ccreate, #cond-update, #cdelete).</summary>
public sealed class FhirConditionalTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Mrn = "urn:oid:2.16.840.1.113883.19.5";

    static string Patient(string mrn, string family = "Haddad") =>
        $$"""{"resourceType":"Patient","identifier":[{"system":"{{Mrn}}","value":"{{mrn}}"}],"name":[{"family":"{{family}}"}]}""";

    static Action<HttpRequestMessage> IfNoneExist(string search) => r => r.Headers.TryAddWithoutValidation("If-None-Exist", search);

    static async Task<int> CountAsync(FhirServer server, string token, string search) =>
        (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/{search}&_total=accurate&_count=0", token), HttpStatusCode.OK)).GetProperty("total").GetInt32();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalCreate_CreatesThenReturnsTheExisting_AndRefusesAmbiguity(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var created = await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("100"), IfNoneExist($"identifier={Mrn}|100"));
        var again = await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("100", "Other"), IfNoneExist($"identifier={Mrn}|100"));
        var first = await FhirAssert.JsonAsync(created, HttpStatusCode.Created);
        var existing = await FhirAssert.JsonAsync(again, HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("id").GetString(), existing.GetProperty("id").GetString());
        Assert.Equal("Haddad", existing.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("W/\"1\"", again.Headers.ETag?.ToString());

        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("200"));
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("200"));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("200"), IfNoneExist($"identifier={Mrn}|200")), HttpStatusCode.PreconditionFailed);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("300"), IfNoneExist("shoe-size=42")), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("300"), IfNoneExist("_count=1")), HttpStatusCode.BadRequest);
        var invalid = await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("300").Replace("\"name\"", "\"gender\":\"robot\",\"name\"", StringComparison.Ordinal), IfNoneExist($"identifier={Mrn}|300")), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Patient.gender", invalid.GetProperty("issue")[0].GetProperty("expression")[0].GetString());
        Assert.Equal(0, await CountAsync(server, token, $"Patient?identifier={Mrn}|300"));
        Assert.Equal(1, await CountAsync(server, token, $"Patient?identifier={Mrn}|100"));

        // Another tenant's patient is not a match.
        var otherToken = await server.NewTenantTokenAsync();
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", otherToken, Patient("100"), IfNoneExist($"identifier={Mrn}|100")), HttpStatusCode.Created);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalCreate_NeedsTheSearchScope(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var createOnly = await server.NewTenantTokenAsync("system/Patient.c");

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", createOnly, Patient("1"), IfNoneExist($"identifier={Mrn}|1")), HttpStatusCode.Forbidden);
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", createOnly, Patient("1")), HttpStatusCode.Created);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalUpdate_CreatesThenUpdatesTheMatch(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var created = await server.SendAsync(HttpMethod.Put, $"/fhir/Patient?identifier={Mrn}|400", token, Patient("400", "First"));
        var id = (await FhirAssert.JsonAsync(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        Assert.Equal($"http://localhost/fhir/Patient/{id}/_history/1", created.Headers.Location?.ToString());
        var updated = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Patient?identifier={Mrn}|400", token, Patient("400", "Second")), HttpStatusCode.OK);
        Assert.Equal(id, updated.GetProperty("id").GetString());
        Assert.Equal("2", updated.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("Second", updated.GetProperty("name")[0].GetProperty("family").GetString());

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Patient?identifier={Mrn}|400", token, Patient("400", "Stale"),
            r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\"")), HttpStatusCode.PreconditionFailed);
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("400"));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Patient?identifier={Mrn}|400", token, Patient("400", "Third")), HttpStatusCode.PreconditionFailed);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, "/fhir/Patient", token, Patient("400", "Third")), HttpStatusCode.BadRequest);
        var read = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", token), HttpStatusCode.OK);
        Assert.Equal("Second", read.GetProperty("name")[0].GetProperty("family").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalDelete_DeletesTheSingleMatch(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var id = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("500")), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("600"));
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("600"));

        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Delete, $"/fhir/Patient?identifier={Mrn}|500", token)).StatusCode);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{id}", token), HttpStatusCode.Gone);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Delete, $"/fhir/Patient?identifier={Mrn}|500", token), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Delete, $"/fhir/Patient?identifier={Mrn}|600", token), HttpStatusCode.PreconditionFailed);
        Assert.Equal(2, await CountAsync(server, token, $"Patient?identifier={Mrn}|600"));
    }

    static string Bundle(params string[] entries) => $"{{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{string.Join(',', entries)}]}}";

    static string IngestionBundle(string mrn, string uuid) => Bundle(
        $$"""{"fullUrl":"{{uuid}}","resource":{{Patient(mrn)}},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier={{Mrn}}|{{mrn}}"} }""",
        $$"""{"resource":{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"subject":{"reference":"{{uuid}}"} },"request":{"method":"POST","url":"Observation"} }""");

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_WithIfNoneExist_MatchesThePatientAndPointsEntriesAtIt(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var first = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, IngestionBundle("700", "urn:uuid:5f1b7c5e-3a57-4a57-9c1e-0d0f3b2a1c01")), HttpStatusCode.OK);
        var second = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, IngestionBundle("700", "urn:uuid:9a2e0f4d-6b1c-4f7e-8d3a-2c5b1e0f9a02")), HttpStatusCode.OK);

        var patientId = first.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString()!;
        Assert.Equal("201 Created", first.GetProperty("entry")[0].GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("200 OK", second.GetProperty("entry")[0].GetProperty("response").GetProperty("status").GetString());
        Assert.Equal(patientId, second.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal($"Patient/{patientId}", second.GetProperty("entry")[1].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
        Assert.Equal(1, await CountAsync(server, token, $"Patient?identifier={Mrn}|700"));
        Assert.Equal(2, await CountAsync(server, token, $"Observation?subject=Patient/{patientId}"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConcurrentTransactions_WithTheSameIfNoneExist_StoreOnePatient(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => server.SendAsync(HttpMethod.Post, "/fhir", token, IngestionBundle("800", $"urn:uuid:00000000-0000-4000-8000-00000000000{i}"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await CountAsync(server, token, $"Patient?identifier={Mrn}|800"));
        Assert.Equal(6, await CountAsync(server, token, "Observation?status=final"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_ConditionalUpdateDeleteAndReferences(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patientId = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("900")), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("901"));
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("999"));
        await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, Patient("999"));

        var bundle = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle(
            $$"""{"resource":{{Patient("900", "Renamed")}},"request":{"method":"PUT","url":"Patient?identifier={{Mrn}}|900"} }""",
            $$"""{"request":{"method":"DELETE","url":"Patient?identifier={{Mrn}}|901"} }""",
            $$"""{"resource":{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient?identifier={{Mrn}}|900"} },"request":{"method":"POST","url":"Observation"} }""")), HttpStatusCode.OK);

        var entries = bundle.GetProperty("entry");
        Assert.Equal(["200 OK", "204 No Content", "201 Created"], entries.EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()));
        Assert.Equal(patientId, entries[0].GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal("Renamed", entries[0].GetProperty("resource").GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal($"Patient/{patientId}", entries[2].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
        Assert.Equal(0, await CountAsync(server, token, $"Patient?identifier={Mrn}|901"));

        var ambiguous = await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle(
            $$"""{"resource":{"resourceType":"Observation","status":"final","code":{"text":"hr"},"subject":{"reference":"Patient?identifier={{Mrn}}|900"} },"request":{"method":"POST","url":"Observation"} }""",
            $$"""{"resource":{"resourceType":"Observation","status":"final","code":{"text":"hr"},"subject":{"reference":"Patient?identifier={{Mrn}}|999"} },"request":{"method":"POST","url":"Observation"} }""")), HttpStatusCode.PreconditionFailed);
        Assert.StartsWith("Bundle.entry[1]", ambiguous.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        var unknown = await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle(
            $$"""{"resource":{"resourceType":"Observation","status":"final","code":{"text":"hr"},"subject":{"reference":"Patient?identifier={{Mrn}}|404"} },"request":{"method":"POST","url":"Observation"} }""")), HttpStatusCode.BadRequest);
        Assert.StartsWith("Bundle.entry[0]", unknown.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(server, token, "Observation?status=final"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_OfficialConditionalCreateExample_Processes(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var json = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "data", "fhir", "bundle-transaction-conditional-create.json"));

        var response = await server.SendAsync(HttpMethod.Post, "/fhir", token, json);

        // Its Patient.identifier.system is "" — not valid FHIR (R4 json.html: no empty strings) — so the whole transaction is refused at that entry.
        var outcome = await FhirAssert.IsOutcomeAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains(outcome.GetProperty("issue").EnumerateArray(), i => i.GetProperty("expression")[0].GetString()!.StartsWith("Bundle.entry[0].resource", StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync(server, token, "ImagingStudy?status=available"));
    }
}
