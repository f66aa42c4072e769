using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>transaction and batch Bundles at POST /fhir (FHIR R4 http.html#transaction).</summary>
public sealed class FhirTransactionTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string PatientUuid = "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a";

    static string Entry(string method, string url, string? resource, string? fullUrl = null) =>
        "{" + (fullUrl is null ? "" : $"\"fullUrl\":\"{fullUrl}\",") + (resource is null ? "" : $"\"resource\":{resource},") + $"\"request\":{{\"method\":\"{method}\",\"url\":\"{url}\"}}}}";

    static string Bundle(string type, params string[] entries) => $"{{\"resourceType\":\"Bundle\",\"type\":\"{type}\",\"entry\":[{string.Join(',', entries)}]}}";

    static string Observation(string subject, string status = "final") =>
        $$"""{"resourceType":"Observation","status":"{{status}}","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"{{subject}}"} }""";

    static async Task<int> TotalAsync(FhirServer server, string token, string type) =>
        (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/{type}?_total=accurate&_count=0", token), HttpStatusCode.OK)).GetProperty("total").GetInt32();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_WithUuidReferences_StoresAllAndRewritesReferences(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var response = await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle("transaction",
            Entry("POST", "Observation", Observation(PatientUuid)),
            Entry("POST", "Patient", """{"resourceType":"Patient","name":[{"family":"Nakamura"}]}""", PatientUuid)));

        var bundle = await FhirAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("transaction-response", bundle.GetProperty("type").GetString());
        var entries = bundle.GetProperty("entry").EnumerateArray().ToList();
        Assert.All(entries, e => Assert.Equal("201 Created", e.GetProperty("response").GetProperty("status").GetString()));
        var patientId = entries[1].GetProperty("resource").GetProperty("id").GetString()!;
        Assert.Equal($"Patient/{patientId}", entries[0].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
        Assert.StartsWith($"Patient/{patientId}/_history/1", entries[1].GetProperty("response").GetProperty("location").GetString(), StringComparison.Ordinal);
        var search = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation?patient={patientId}", token), HttpStatusCode.OK);
        Assert.Equal(1, search.GetProperty("entry").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_WhenAnEntryFails_StoresNothing(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var existing = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", token, """{"resourceType":"Patient"}"""), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var good = Enumerable.Range(0, 56).Select(_ => Entry("POST", "Observation", Observation($"Patient/{existing}"))).ToArray();

        var invalid = await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle("transaction", [.. good, Entry("POST", "Observation", Observation("Patient/x", "finished"))]));
        var stale = await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle("transaction",
            [.. good, "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"" + existing + "\"},\"request\":{\"method\":\"PUT\",\"url\":\"Patient/" + existing + "\",\"ifMatch\":\"W/\\\"7\\\"\"}}"]));
        var missing = await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle("transaction", [.. good, Entry("DELETE", "Patient/never-was", null)]));

        var outcome = await FhirAssert.IsOutcomeAsync(invalid, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Bundle.entry[56].resource.status", outcome.GetProperty("issue")[0].GetProperty("expression")[0].GetString());
        await FhirAssert.IsOutcomeAsync(stale, HttpStatusCode.PreconditionFailed);
        await FhirAssert.IsOutcomeAsync(missing, HttpStatusCode.NotFound);
        Assert.Equal(0, await TotalAsync(server, token, "Observation"));
        var patient = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{existing}", token), HttpStatusCode.OK);
        Assert.Equal("1", patient.GetProperty("meta").GetProperty("versionId").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Batch_RunsEachEntryOnItsOwn(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var bundle = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, Bundle("batch",
            Entry("POST", "Observation", Observation("Patient/a")),
            Entry("POST", "Observation", Observation("Patient/a", "finished")),
            Entry("DELETE", "Observation/unknown", null))), HttpStatusCode.OK);

        Assert.Equal("batch-response", bundle.GetProperty("type").GetString());
        Assert.Equal(["201 Created", "422", "404"], bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()));
        Assert.Equal("OperationOutcome", bundle.GetProperty("entry")[1].GetProperty("response").GetProperty("outcome").GetProperty("resourceType").GetString());
        Assert.Equal(1, await TotalAsync(server, token, "Observation"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_WithUnsupportedOrForbiddenEntries_IsRejected(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var observationsOnly = await server.NewTenantTokenAsync("system/Observation.cruds");
        var conditional = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "data", "fhir", "bundle-transaction-conditional-create.json"));

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir", observationsOnly, Bundle("transaction",
            Entry("POST", "Observation", Observation(PatientUuid)), Entry("POST", "Patient", """{"resourceType":"Patient"}""", PatientUuid))), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir", observationsOnly, conditional), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir", observationsOnly, Bundle("collection")), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir", observationsOnly, Bundle("transaction", Entry("GET", "Observation", null))), HttpStatusCode.BadRequest);
        Assert.Equal(0, await TotalAsync(server, observationsOnly, "Observation"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_SyntheaPatientBundle_StoresEveryEntry(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        // Only the types this server stores (Immunization, Claim and ExplanationOfBenefit are not among them yet);
        // nothing kept refers to a dropped entry.
        var original = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "data", "fhir", "synthea_hiv_Bob965_Keeling57_transaction.json")))!;
        var entries = original["entry"]!.AsArray();
        foreach (var dropped in entries.Where(e => Carevault.Fhir.Spec.FhirSpec.R4.FindType(e!["resource"]!["resourceType"]!.GetValue<string>()) is not { Kind: Carevault.Fhir.Spec.FhirTypeKind.Resource }).ToList()) entries.Remove(dropped);
        var json = original.ToJsonString();
        var count = entries.Count;
        // Its conditional references (Practitioner?identifier=…) must resolve to stored resources: those come first,
        // as Synthea's practitioner and hospital bundles would bring them. Location is not a stored type: those
        // references are kept as written.
        var targets = System.Text.RegularExpressions.Regex.Matches(json, "\"reference\":\"(Practitioner|Organization)\\?identifier=([^|\"]+)\\|([^\"]+)\"")
            .Select(m => (Type: m.Groups[1].Value, System: m.Groups[2].Value, Value: m.Groups[3].Value)).Distinct().ToList();
        Assert.Equal(4, targets.Count);
        foreach (var (type, system, value) in targets)
            await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/{type}", token,
                $$"""{"resourceType":"{{type}}","identifier":[{"system":"{{system}}","value":"{{value}}"}]}"""), HttpStatusCode.Created);

        var bundle = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir", token, json), HttpStatusCode.OK);

        Assert.Equal(count, bundle.GetProperty("entry").GetArrayLength());
        var patientId = bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")).First(r => r.GetProperty("resourceType").GetString() == "Patient").GetProperty("id").GetString();
        var observations = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation?subject=Patient/{patientId}&_total=accurate&_count=0", token), HttpStatusCode.OK);
        Assert.True(observations.GetProperty("total").GetInt32() > 0);
        var practitioner = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999955949", token), HttpStatusCode.OK);
        var practitionerId = practitioner.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString();
        var encounters = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Encounter?participant=Practitioner/{practitionerId}&_total=accurate&_count=0", token), HttpStatusCode.OK);
        Assert.True(encounters.GetProperty("total").GetInt32() > 0);
    }
}
