using System.Text;
using System.Text.Json;
using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Records.Tests.Store;

public sealed class BulkLoaderTests
{
    static string Observation(string patient, string code, string date, double value) =>
        $$$"""{"resourceType":"Observation","id":"ignored","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}","display":"Glucose"}],"text":"Glucose"},"subject":{"reference":"Patient/{{{patient}}}"},"effectiveDateTime":"{{{date}}}","valueQuantity":{"value":{{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}""";

    const string Patient = """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"M-1"}],"name":[{"family":"Müller","given":["Anna"]}],"birthDate":"1980-05-17"}""";

    static BulkLoader Loader(StoreHarness h, int batchSize = 1000, int maxLineBytes = 4 * 1024 * 1024)
    {
        var spec = FhirSpec.R4;
        return new BulkLoader(h.Db, h.Clock, new ResourceValidation(new FhirValidator(spec)), new SearchIndexer(spec), spec,
            new BulkLoadOptions { BatchSize = batchSize, MaxLineBytes = maxLineBytes });
    }

    static Task<BulkLoadReport> LoadAsync(BulkLoader loader, string tenant, string ndjson, Func<string, RecordError?>? mayCreate = null) =>
        loader.LoadAsync(tenant, NdjsonReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(ndjson)), loader.Options.MaxLineBytes, default), mayCreate, default);

    /// <summary>A resource's index rows in every table, without its id, sorted: what its searches can find.</summary>
    static async Task<List<string>> IndexRowsAsync(StoreHarness h, string tenant, string type, string id)
    {
        await using var connection = await h.Db.OpenAsync(default);
        var rows = new List<string>();
        foreach (var (table, columns) in new[]
                 {
                     ("fhir_idx_token", "param, system, code"), ("fhir_idx_string", "param, normalized, exact"), ("fhir_idx_date", "param, low, high"),
                     ("fhir_idx_reference", "param, target_type, target_id"), ("fhir_idx_quantity", "param, system, code, value"), ("fhir_idx_uri", "param, value"),
                 })
        {
            var found = await connection.QueryAsync($"SELECT {columns} FROM {table} WHERE tenant_id = @tenant AND resource_type = @type AND resource_id = @id",
                new { tenant, type, id });
            rows.AddRange(found.Select(r => table + ": " + string.Join(" | ", ((IDictionary<string, object>)r).Values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)))));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Load_WritesTheSameIndexRowsAndSearchResultsAsCreate(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var byCreate = StoreHarness.Tenant();
        var byLoad = StoreHarness.Tenant();
        string[] lines =
        [
            Observation("p1", "2345-7", "2026-01-05T10:00:00Z", 5.4), Observation("p1", "2345-7", "2025-12-01", 6.1),
            Observation("p1", "718-7", "2026-02-01T08:30:00+01:00", 13.2), Observation("p2", "2345-7", "2026-03-01", 4.9), Patient,
        ];
        var created = new List<StoredResource>();
        foreach (var line in lines) created.Add(await h.CreateAsync(byCreate, line));

        // Batches of two: the five resources span three transactions.
        var report = await LoadAsync(Loader(h, batchSize: 2), byLoad, string.Join("\n", lines) + "\n");

        Assert.Equal(5, report.Read);
        Assert.Equal(5, report.Created);
        Assert.Equal(0, report.Rejected);
        Assert.Empty(report.Errors);
        Assert.Equal(4, report.CreatedByType["Observation"]);
        Assert.Equal(1, report.CreatedByType["Patient"]);
        const string Query = "patient=Patient/p1&code=http://loinc.org|2345-7&date=ge2026-01-01";
        var expected = await h.SearchAsync(byCreate, "Observation", Query);
        var actual = await h.SearchAsync(byLoad, "Observation", Query);
        var loaded = Assert.Single(actual.Resources);
        Assert.Single(expected.Resources);
        Assert.NotEqual("ignored", loaded.Id);
        Assert.Equal(1, loaded.VersionId);
        Assert.Equal(await IndexRowsAsync(h, byCreate, "Observation", expected.Resources[0].Id), await IndexRowsAsync(h, byLoad, "Observation", loaded.Id));
        // The stored body is the create's, but for id and meta.
        Assert.Equal(expected.Resources[0].Body.Replace(expected.Resources[0].Id, loaded.Id, StringComparison.Ordinal), loaded.Body);
        foreach (var query in new[] { "code=718-7", "value-quantity=gt5|http://unitsofmeasure.org|mmol/L", "date=lt2026-01-01", "subject=Patient/p2" })
        {
            Assert.Equal((await h.SearchAsync(byCreate, "Observation", query)).Resources.Count, (await h.SearchAsync(byLoad, "Observation", query)).Resources.Count);
            Assert.NotEmpty((await h.SearchAsync(byLoad, "Observation", query)).Resources);
        }
        var patient = Assert.Single((await h.SearchAsync(byLoad, "Patient", "family=muller&identifier=urn:mrn|M-1&birthdate=1980")).Resources);
        Assert.Equal(await IndexRowsAsync(h, byCreate, "Patient", created[4].Id), await IndexRowsAsync(h, byLoad, "Patient", patient.Id));
        // Version 1 is in the history, as after a create.
        var version = await h.Store.ReadVersionAsync(byLoad, "Patient", patient.Id, 1, default);
        Assert.Equal(patient.Body, version.Value!.Body);
        var history = await h.Store.HistoryAsync(byLoad, "Observation", null, null, null, 10, default);
        Assert.Equal(4, history.Value!.Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Load_WhenLinesAreBad_RejectsThemWithTheirLineNumbersAndKeepsTheGoodOnes(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var good = Observation("p1", "2345-7", "2026-01-05", 5.4);
        var ndjson = string.Join("\r\n",
            good,                                                          // 1
            "",                                                            // 2 blank: skipped, still counted
            "{\"resourceType\":\"Observation\",\"status\":\"final\"",      // 3 broken JSON
            """{"resourceType":"Observation","code":{"text":"x"}}""",     // 4 status missing (422)
            """{"resourceType":"Unicorn"}""",                              // 5 unknown type
            """{"resourceType":"AuditEvent"}""",                           // 6 not stored here
            """{"resourceType":"Patient","name":[{"family":"Doe"}]}""",   // 7 not allowed by mayCreate
            "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + new string('x', 1200) + "\"}}", // 8 over the line limit
            "[1,2]",                                                       // 9 not a resource
            good);                                                         // 10, no final newline

        var report = await LoadAsync(Loader(h, batchSize: 3, maxLineBytes: 1000), tenant, ndjson,
            type => type == "Patient" ? new RecordError(RecordErrorKind.Forbidden, "forbidden", "no Patient") : null);

        Assert.Equal(9, report.Read);
        Assert.Equal(2, report.Created);
        Assert.Equal(7, report.Rejected);
        Assert.Equal([3L, 4, 5, 6, 7, 8, 9], report.Errors.Select(e => e.Number));
        Assert.Equal(RecordErrorKind.BadRequest, report.Errors[0].Error.Kind);
        Assert.Equal(RecordErrorKind.Unprocessable, report.Errors[1].Error.Kind);
        Assert.Contains(report.Errors[1].Error.Issues!, i => i.Location == "Observation.status");
        Assert.Equal("not-supported", report.Errors[2].Error.Code);
        Assert.Equal("not-supported", report.Errors[3].Error.Code);
        Assert.Equal(RecordErrorKind.Forbidden, report.Errors[4].Error.Kind);
        Assert.Equal(RecordErrorKind.TooLarge, report.Errors[5].Error.Kind);
        Assert.Equal(RecordErrorKind.BadRequest, report.Errors[6].Error.Kind);
        // Nothing of a rejected line is stored: only the two good Observations, and no Patient at all.
        Assert.Equal(2, (await h.SearchAsync(tenant, "Observation", "_total=accurate")).Total);
        Assert.Equal(0, (await h.SearchAsync(tenant, "Patient", "_total=accurate")).Total);
        await using var connection = await h.Db.OpenAsync(default);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_history WHERE tenant_id = @tenant", new { tenant }));
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT resource_id) FROM fhir_idx_token WHERE tenant_id = @tenant", new { tenant }));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Load_IntoOneTenant_IsInvisibleToAnother(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var other = StoreHarness.Tenant();

        var report = await LoadAsync(Loader(h), tenant, Observation("p1", "2345-7", "2026-01-05", 5.4) + "\n" + Patient + "\n");
        var patient = Assert.Single((await h.SearchAsync(tenant, "Patient", "family=muller")).Resources);

        Assert.Equal(2, report.Created);
        Assert.Empty((await h.SearchAsync(other, "Observation", "patient=Patient/p1")).Resources);
        Assert.Empty((await h.SearchAsync(other, "Patient", "family=muller")).Resources);
        Assert.Equal(RecordErrorKind.NotFound, (await h.Store.ReadAsync(other, "Patient", patient.Id, default)).Error?.Kind);
        Assert.Empty((await h.Store.HistoryAsync(other, "Observation", null, null, null, 10, default)).Value!);
    }

    [Fact]
    public async Task ReadBundle_TakesCollectionAndBatchCreates_AndNamesBadEntries()
    {
        var bundle = """
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Patient","id":"x","active":true},"request":{"method":"PUT","url":"Patient/x"}},
              {"request":{"method":"POST","url":"Patient"}}
            ]}
            """;

        var items = BundleItems.Read(Encoding.UTF8.GetBytes(bundle));
        var collection = BundleItems.Read(Encoding.UTF8.GetBytes("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}}]}"""));
        var transaction = BundleItems.Read(Encoding.UTF8.GetBytes("""{"resourceType":"Bundle","type":"transaction","entry":[]}"""));

        Assert.Equal([0L, 1, 2], items.Value!.Select(i => i.Number));
        Assert.Null(items.Value![0].Error);
        Assert.Equal("Patient", JsonDocument.Parse(items.Value[0].Body).RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("not-supported", items.Value[1].Error?.Code);
        Assert.Equal("required", items.Value[2].Error?.Code);
        Assert.Null(Assert.Single(collection.Value!).Error);
        Assert.Equal(RecordErrorKind.BadRequest, transaction.Error?.Kind);
    }
}
