using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// Every JSON file of tests/data/fhir (official R4 examples, Synthea bundles, other servers' test files; SOURCES.md)
/// goes to the endpoint it is meant for: a resource to POST [type], a transaction or batch Bundle to POST [base]. The
/// valid ones are accepted; the invalid ones — and the ones this server must refuse — answer an OperationOutcome and
/// store nothing.
/// </summary>
public sealed class FhirOfficialExampleTests(FhirServers servers) : IClassFixture<FhirServers>
{
    /// <summary>Expected status per file, with the reason where a refusal is the right answer.</summary>
    static readonly Dictionary<string, HttpStatusCode> Expected = new()
    {
        ["patient-example.json"] = HttpStatusCode.Created,
        ["observation-example.json"] = HttpStatusCode.Created,
        ["documentreference-example.json"] = HttpStatusCode.Created,
        ["documentreference-with-base64-attachment.json"] = HttpStatusCode.Created,
        // A Bundle of type collection is a resource like any other: POST /fhir/Bundle stores it.
        ["diagnosticreport-example-bundle.json"] = HttpStatusCode.Created,
        // Batches run entry by entry: 200 with each entry's outcome (types this server does not store are 400 there).
        ["synthea_practitionerInformation_batch.json"] = HttpStatusCode.OK,
        ["synthea_Cris921_Rath779_batch.json"] = HttpStatusCode.OK,
        ["synthea_Roland928_Nienow652_batch.json"] = HttpStatusCode.OK,
        // All or nothing: it holds Claim, ExplanationOfBenefit and Immunization entries, types this server does not store.
        ["synthea_hiv_Bob965_Keeling57_transaction.json"] = HttpStatusCode.BadRequest,
        // Its Patient.identifier.system is "" — R4 JSON allows no empty strings — so the transaction is refused (422, with the location).
        ["bundle-transaction-conditional-create.json"] = HttpStatusCode.UnprocessableEntity,
        ["invalid_bundle_no_type.json"] = HttpStatusCode.BadRequest,
        ["invalid_observation_bad_status_bom.json"] = HttpStatusCode.UnprocessableEntity,
        ["invalid_patient_empty_resourceType_bom.json"] = HttpStatusCode.BadRequest,
        ["invalid_patient_truncated_json.json"] = HttpStatusCode.BadRequest,
    };

    static string Folder => Path.Combine(AppContext.BaseDirectory, "data", "fhir");

    public static TheoryData<DatabaseProvider, string> Files()
    {
        var data = new TheoryData<DatabaseProvider, string>();
        foreach (var backend in TestDatabase.Backends)
            foreach (var file in Directory.GetFiles(Folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal))
                data.Add(backend, file!);
        return data;
    }

    [Fact]
    public void EveryFile_HasAnExpectation()
    {
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), Directory.GetFiles(Folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Example_IsAcceptedWhenValid_AndRefusedWithOutcomeOtherwise(DatabaseProvider provider, string file)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var bytes = await File.ReadAllBytesAsync(Path.Combine(Folder, file));
        var path = TargetPath(bytes);

        var response = await server.SendAsync(HttpMethod.Post, path, token, null, r => r.Content = new ByteArrayContent(bytes) { Headers = { { "Content-Type", "application/fhir+json" } } });

        var expected = Expected[file];
        if (expected == HttpStatusCode.Created)
        {
            var created = await FhirAssert.JsonAsync(response, HttpStatusCode.Created);
            Assert.Equal("1", created.GetProperty("meta").GetProperty("versionId").GetString());
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, $"/fhir/{created.GetProperty("resourceType").GetString()}/{created.GetProperty("id").GetString()}", token)).StatusCode);
        }
        else if (expected == HttpStatusCode.OK)
        {
            var bundle = await FhirAssert.JsonAsync(response, HttpStatusCode.OK);
            Assert.Equal("batch-response", bundle.GetProperty("type").GetString());
            var entries = bundle.GetProperty("entry").EnumerateArray().ToList();
            Assert.Equal(JsonDocument.Parse(bytes).RootElement.GetProperty("entry").GetArrayLength(), entries.Count);
            Assert.Contains(entries, e => e.GetProperty("response").GetProperty("status").GetString() == "201 Created");
            foreach (var entry in entries.Where(e => e.GetProperty("response").GetProperty("status").GetString() != "201 Created"))
                Assert.Equal("OperationOutcome", entry.GetProperty("response").GetProperty("outcome").GetProperty("resourceType").GetString());
        }
        else
        {
            await FhirAssert.IsOutcomeAsync(response, expected);
            var history = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history", token), HttpStatusCode.OK);
            Assert.Equal(0, history.GetProperty("entry").GetArrayLength());
        }
    }

    /// <summary>POST [base] for transaction and batch Bundles, POST [base]/[type] for a resource (Patient when unreadable).</summary>
    static string TargetPath(byte[] bytes)
    {
        try
        {
            var root = JsonDocument.Parse(Carevault.Fhir.FhirJson.SkipUtf8Bom(bytes)).RootElement;
            var type = root.TryGetProperty("resourceType", out var rt) ? rt.GetString() : null;
            if (type == "Bundle" && root.TryGetProperty("type", out var bt) && bt.GetString() is "transaction" or "batch") return "/fhir";
            if (type == "Bundle" && !root.TryGetProperty("type", out _)) return "/fhir";
            return string.IsNullOrEmpty(type) ? "/fhir/Patient" : $"/fhir/{type}";
        }
        catch (JsonException)
        {
            return "/fhir/Patient";
        }
    }
}
