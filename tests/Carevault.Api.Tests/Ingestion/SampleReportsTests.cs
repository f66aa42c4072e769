using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// The ingestion issue's "done when", end to end with the real mapping library: each sample kind is uploaded, its job
/// completes, its FHIR resources can be read, its original downloads byte-identical, and no patient's name is in
/// plain text anywhere under the data folder.
/// </summary>
public sealed class SampleReportsTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    static byte[] Sample(string path) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", path));

    static async Task<string> SubmitWithMetadataAsync(HttpClient http, byte[] content, string contentType, string patientIdentifier, string reportType)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(patientIdentifier), "patientIdentifier" },
            { new StringContent(reportType), "reportType" },
        };
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", "report");
        var response = await http.PostAsync(new Uri("/api/reports", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetString()!;
    }

    static async Task<List<string>> CompletedResourcesAsync(HttpClient http, string jobId, byte[] original)
    {
        var job = await IngestionApp.WaitForJobAsync(http, jobId);
        Assert.True(job.GetProperty("status").GetString() == "completed", job.ToString());
        Assert.Equal(original, await http.GetByteArrayAsync(new Uri(job.GetProperty("original").GetString()!, UriKind.Relative)));
        var resources = job.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        foreach (var reference in resources)
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/fhir/" + reference, UriKind.Relative))).StatusCode);
        return resources;
    }

    static async Task<JsonElement> ReadAsync(HttpClient http, string reference) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + reference, UriKind.Relative))).RootElement;

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task EachSampleKind_BecomesReadableFhir_AndItsOriginalStaysEncrypted(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();

        var hl7 = Sample("hl7v2/ms_oru_r01_v251.hl7");
        var hl7Resources = await CompletedResourcesAsync(http, await IngestionApp.SubmitAsync(http, hl7, "application/hl7-v2"), hl7);
        var report = await ReadAsync(http, Assert.Single(hl7Resources, r => r.StartsWith("DiagnosticReport/", StringComparison.Ordinal)));
        var patientRef = Assert.Single(hl7Resources, r => r.StartsWith("Patient/", StringComparison.Ordinal));
        Assert.Equal(patientRef, report.GetProperty("subject").GetProperty("reference").GetString());
        Assert.Equal("Finn", (await ReadAsync(http, patientRef)).GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Contains(hl7Resources, r => r.StartsWith("Observation/", StringComparison.Ordinal));
        Assert.Contains(hl7Resources, r => r.StartsWith("Provenance/", StringComparison.Ordinal));

        var dicom = Sample("dicom/CT_small.dcm");
        var dicomResources = await CompletedResourcesAsync(http, await SubmitWithMetadataAsync(http, dicom, "application/dicom", "urn:oid:2.16.840.1.113883.19.5|1CT1", "CT"), dicom);
        var study = await ReadAsync(http, Assert.Single(dicomResources, r => r.StartsWith("ImagingStudy/", StringComparison.Ordinal)));
        Assert.True(study.GetProperty("series").GetArrayLength() >= 1);

        var pdf = Sample("pdf/lab_cbc_riverbend.pdf");
        var pdfResources = await CompletedResourcesAsync(http, await SubmitWithMetadataAsync(http, pdf, "application/pdf", "urn:oid:2.16.840.1.113883.19.5|00482913", "lab-cbc"), pdf);
        var document = await ReadAsync(http, Assert.Single(pdfResources, r => r.StartsWith("DocumentReference/", StringComparison.Ordinal)));
        Assert.Equal("application/pdf", document.GetProperty("content")[0].GetProperty("attachment").GetProperty("contentType").GetString());

        var bundle = Sample("fhir/patient-example.json");
        var bundleResources = await CompletedResourcesAsync(http, await IngestionApp.SubmitAsync(http, bundle, "application/fhir+json"), bundle);
        Assert.NotEmpty(bundleResources);

        // Encrypted at rest: no patient's name — as sent, or lower-cased as the search index keeps it — appears in any
        // file under the data folder: blobs, the SQLite database and its WAL and shared-memory files, the key files.
        var files = Directory.EnumerateFiles(app.Database.Directory, "*", SearchOption.AllDirectories).ToList();
        if (provider == DatabaseProvider.Sqlite) Assert.Contains(files, f => f.EndsWith("carevault.db-wal", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var text = Encoding.Latin1.GetString(File.ReadAllBytes(file));
            foreach (var name in new[] { "Huckleberry", "CompressedSamples", "JANE Q", "Chalmers" })
                Assert.False(text.Contains(name, StringComparison.OrdinalIgnoreCase), $"{name} in plain text in {Path.GetFileName(file)}");
        }
    }
}
