using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Fhir;

/// <summary><c>POST /fhir/$import</c> and <c>carevault fhir load</c>: the bulk load path over HTTP and on the command line.</summary>
public sealed class FhirImportTests(FhirServers servers) : IClassFixture<FhirServers>
{
    static string Observation(string patient, string code, string date) =>
        $$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]},"subject":{"reference":"Patient/{{{patient}}}"},"effectiveDateTime":"{{{date}}}","valueQuantity":{"value":5.4,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}""";

    static Task<HttpResponseMessage> ImportAsync(FhirServer server, string? token, string body, string contentType = "application/fhir+ndjson") =>
        server.SendAsync(HttpMethod.Post, "/fhir/$import", token, configure: r => r.Content = new StringContent(body, Encoding.UTF8, contentType));

    static List<string> Diagnostics(JsonElement outcome) =>
        outcome.GetProperty("issue").EnumerateArray().Select(i => i.GetProperty("severity").GetString() + " " + i.GetProperty("code").GetString() + " " + i.GetProperty("diagnostics").GetString()).ToList();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Import_Ndjson_StoresTheGoodLines_ReportsBadOnesByLine_AndIsSearchableAsIfCreated(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var single = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation("p9", "2345-7", "2026-02-01")), HttpStatusCode.Created);
        var ndjson = string.Join("\n",
            Observation("p1", "2345-7", "2026-01-05"),
            """{"resourceType":"Observation","code":{"text":"no status"}}""",
            "",
            Observation("p1", "2345-7", "2025-06-01"),
            "{broken",
            Observation("p9", "2345-7", "2026-02-01")) + "\n";

        var response = await ImportAsync(server, token, ndjson);

        var outcome = await FhirAssert.IsOutcomeAsync(response, HttpStatusCode.OK);
        var issues = Diagnostics(outcome);
        Assert.Equal("information informational Read 5, created 3, rejected 2. 3 created (Observation 3), 2 rejected.", issues[0]);
        Assert.Contains(issues, i => i.StartsWith("error required line 2: ", StringComparison.Ordinal));
        Assert.Contains(issues, i => i.StartsWith("error structure line 5: ", StringComparison.Ordinal) || i.StartsWith("fatal structure line 5: ", StringComparison.Ordinal));
        Assert.Equal(3, issues.Count);
        Assert.Contains(outcome.GetProperty("issue")[1].GetProperty("expression").EnumerateArray(), e => e.GetString() == "Observation.status");
        var search = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?patient=Patient/p1&code=http://loinc.org|2345-7&date=ge2026-01-01", token), HttpStatusCode.OK);
        Assert.Equal(1, search.GetProperty("entry").GetArrayLength());
        // The loaded copy of the created Observation is found by the same searches and stored the same way but for id and meta.
        var both = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?patient=p9&code=2345-7&date=eq2026-02-01&value-quantity=5.4", token), HttpStatusCode.OK);
        var found = both.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")).ToList();
        Assert.Equal(2, found.Count);
        Assert.Contains(found, r => r.GetProperty("id").GetString() == single.GetProperty("id").GetString());
        var loaded = found.Single(r => r.GetProperty("id").GetString() != single.GetProperty("id").GetString());
        Assert.Equal("1", loaded.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal(single.GetProperty("valueQuantity").GetRawText(), loaded.GetProperty("valueQuantity").GetRawText());
        Assert.Equal(single.GetProperty("subject").GetRawText(), loaded.GetProperty("subject").GetRawText());
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{loaded.GetProperty("id").GetString()}/_history/1", token), HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Import_CollectionBundle_LoadsItsEntries_AndNamesBadOnesByEntry(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var bundle = $$$"""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{{{Observation("b1", "718-7", "2026-01-01")}}}},{"resource":{"resourceType":"Patient","birthDate":"not a date"}},{"resource":{"resourceType":"Patient","name":[{"family":"Bulk"}]}}]}""";

        var outcome = await FhirAssert.IsOutcomeAsync(await ImportAsync(server, token, bundle, "application/fhir+json"), HttpStatusCode.OK);
        var transaction = await ImportAsync(server, token, """{"resourceType":"Bundle","type":"transaction"}""", "application/fhir+json");
        var xml = await ImportAsync(server, token, "<Bundle/>", "application/fhir+xml");

        var issues = Diagnostics(outcome);
        Assert.Equal("information informational Read 3, created 2, rejected 1. 2 created (Observation 1, Patient 1), 1 rejected.", issues[0]);
        Assert.Contains(issues, i => i.Contains(" Bundle.entry[1]: ", StringComparison.Ordinal));
        var patients = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?family=bulk", token), HttpStatusCode.OK);
        Assert.Equal(1, patients.GetProperty("entry").GetArrayLength());
        await FhirAssert.IsOutcomeAsync(transaction, HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(xml, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Import_NeedsCreateOnEachType_AndFollowsTheAccessPolicy(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var world = await AccessWorld.CreateAsync(server);
        var tokens = await server.NewTenantTokensAsync("system/Observation.c system/Patient.rs", "system/*.rs");
        var ndjson = Observation("s1", "2345-7", "2026-01-01") + "\n" + """{"resourceType":"Patient","name":[{"family":"Scoped"}]}""" + "\n";

        var observationsOnly = await FhirAssert.IsOutcomeAsync(await ImportAsync(server, tokens[0], ndjson), HttpStatusCode.OK);
        var readOnly = await ImportAsync(server, tokens[1], ndjson);
        var onlyForbidden = await ImportAsync(server, tokens[0], """{"resourceType":"Patient"}""" + "\n");
        var doctor = await ImportAsync(server, await world.TokenAsync("doctor1"), ndjson);
        var patient = await ImportAsync(server, await world.TokenAsync("patient1", "patient/*.cruds"), ndjson);
        var anonymous = await ImportAsync(server, null, ndjson);

        var issues = Diagnostics(observationsOnly);
        Assert.StartsWith("information informational Read 2, created 1, rejected 1.", issues[0], StringComparison.Ordinal);
        Assert.Equal("error forbidden line 2: The token's scopes do not allow create on Patient.", issues[1]);
        Assert.Equal(0, (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?family=scoped&_total=accurate", tokens[0]), HttpStatusCode.OK)).GetProperty("total").GetInt32());
        await FhirAssert.IsOutcomeAsync(readOnly, HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(onlyForbidden, HttpStatusCode.UnprocessableEntity);
        // A doctor may create any clinical resource whatever it holds (the author rule governs updates and deletes).
        await FhirAssert.IsOutcomeAsync(doctor, HttpStatusCode.OK);
        await FhirAssert.IsOutcomeAsync(patient, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var search = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?patient=s1", world.HospitalToken), HttpStatusCode.OK);
        Assert.Equal(1, search.GetProperty("entry").GetArrayLength()); // the doctor's; the patient's import stored nothing
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Import_IsAudited_WithCountsAndNoContent(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var world = await AccessWorld.CreateAsync(server);

        await FhirAssert.IsOutcomeAsync(await ImportAsync(server, world.HospitalToken, Observation("a1", "2345-7", "2026-01-01") + "\n{\"resourceType\":\"Patient\",\"name\":\"Secret Name\"}\n"), HttpStatusCode.OK);

        var records = await server.Services.GetRequiredService<AuditReader>().SearchAsync(world.TenantId, new AuditFilter { Action = "create" }, 10, default);
        var record = Assert.Single(records, r => r.Record.Detail.StartsWith("$import", StringComparison.Ordinal)).Record;
        Assert.Equal("$import: 1 created (Observation 1), 1 rejected", record.Detail);
        Assert.Equal(200, record.Status);
        Assert.Equal("client", record.ActorKind);
        Assert.DoesNotContain("Secret", record.Detail + record.Query + string.Join(",", record.Entities), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliLoad_LoadsTheFileIntoTheTenant_ReportsBadLines_AndIsRecorded()
    {
        var directory = Directory.CreateTempSubdirectory("carevault-fhir-load-").FullName;
        try
        {
            string[] data = ["--data-dir", directory];
            var file = Path.Combine(directory, "observations.ndjson");
            await File.WriteAllTextAsync(file, Observation("c1", "2345-7", "2026-01-01") + "\n" + """{"resourceType":"Observation"}""" + "\n" + Observation("c2", "718-7", "2026-01-02") + "\n");
            Assert.Equal(0, (await CarevaultProcess.RunAsync(["tenants", "create", "st-loads", "--name", "St Load's", .. data])).ExitCode);

            var load = await CarevaultProcess.RunAsync(["fhir", "load", "--tenant", "st-loads", file, .. data]);
            var missingTenant = await CarevaultProcess.RunAsync(["fhir", "load", "--tenant", "nowhere", file, .. data]);

            Assert.Equal(2, load.ExitCode);
            Assert.Contains("line 2: ", load.Output, StringComparison.Ordinal);
            Assert.Contains("Loaded 2 of 3 resources", load.Output, StringComparison.Ordinal);
            Assert.Equal(1, missingTenant.ExitCode);
            await using var db = TestDatabase.OpenDataFolder(directory);
            await using var connection = await db.OpenAsync(default);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT COUNT(*) FROM fhir_resources WHERE tenant_id = 'st-loads' AND resource_type = 'Observation') || ' ' ||"
                + " (SELECT COUNT(*) FROM fhir_idx_reference WHERE tenant_id = 'st-loads' AND param = 'patient' AND target_id IN ('c1', 'c2')) || ' ' ||"
                + " (SELECT detail FROM audit_records WHERE tenant_id = 'st-loads' ORDER BY seq DESC LIMIT 1)";
            Assert.Equal("2 2 cli: fhir load", (string?)await command.ExecuteScalarAsync());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
