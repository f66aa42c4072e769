using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Ingestion.Processing;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>/api/jobs and the workers: states, failures with problems, retries, dead letters, cancel, tenant isolation.</summary>
public sealed class JobTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    static readonly TestMapper Mapper = new();

    Task<IngestionApp> MappingAsync(DatabaseProvider provider) => apps.GetAsync(provider, "mapping",
        new Dictionary<string, string?> { ["Ingestion:MaxAttempts"] = "2" },
        services => services.AddSingleton<ReportMapping>(Mapper.Map));

    static async Task<int> TotalAsync(HttpClient http, string type) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"/fhir/{type}?_total=accurate&_count=0", UriKind.Relative))).RootElement.GetProperty("total").GetInt32();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_OfAnotherTenant_IsNotFound(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, mine) = await app.NewHospitalAsync();
        var (_, _, theirs) = await app.NewHospitalAsync();
        var jobId = await IngestionApp.SubmitAsync(mine, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");

        await ProblemAssert.IsProblemAsync(await theirs.GetAsync(new Uri($"/api/jobs/{jobId}", UriKind.Relative)), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await theirs.PostAsync(new Uri($"/api/jobs/{jobId}/cancel", UriKind.Relative), null), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await theirs.GetAsync(new Uri($"/api/reports/{jobId}/original", UriKind.Relative)), HttpStatusCode.NotFound, "not-found");
        var listed = JsonDocument.Parse(await theirs.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement;
        Assert.Equal(0, listed.GetProperty("items").GetArrayLength());
        Assert.Equal("pending", (await IngestionApp.WaitForJobAsync(mine, jobId, "pending")).GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Cancel_PendingJob_IsCancelled_AndOnlyOnce(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var jobId = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");

        var cancelled = await http.PostAsync(new Uri($"/api/jobs/{jobId}/cancel", UriKind.Relative), null);
        var again = await http.PostAsync(new Uri($"/api/jobs/{jobId}/cancel", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var job = JsonDocument.Parse(await cancelled.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("finishedAt").ValueKind);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "job-not-pending");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task List_FiltersByStatusAndSubmitter_AndPagesByCursor(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (tenant, clientA, httpA) = await app.NewHospitalAsync();
        var (_, httpB) = await app.NewClientAsync(tenant, "system/*.cruds");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await IngestionApp.SubmitAsync(httpA, IngestionApp.Utf8(Reports.Hl7 + $"NTE|{i}\r"), "application/hl7-v2"));
        var other = await IngestionApp.SubmitAsync(httpB, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");
        (await httpA.PostAsync(new Uri($"/api/jobs/{ids[0]}/cancel", UriKind.Relative), null)).EnsureSuccessStatusCode();

        var first = JsonDocument.Parse(await httpA.GetStringAsync(new Uri($"/api/jobs?submitter={clientA}&limit=2", UriKind.Relative))).RootElement;
        var next = first.GetProperty("next").GetString();
        var second = JsonDocument.Parse(await httpA.GetStringAsync(new Uri($"/api/jobs?submitter={clientA}&limit=2&cursor={next}", UriKind.Relative))).RootElement;
        var cancelled = JsonDocument.Parse(await httpA.GetStringAsync(new Uri("/api/jobs?status=cancelled", UriKind.Relative))).RootElement;
        var all = JsonDocument.Parse(await httpA.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement;
        var bad = await httpA.GetAsync(new Uri("/api/jobs?status=done", UriKind.Relative));

        static List<string> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()!).ToList();
        Assert.Equal([ids[2], ids[1]], Ids(first));
        Assert.Equal([ids[0]], Ids(second));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.Equal([ids[0]], Ids(cancelled));
        Assert.Equal([other, ids[2], ids[1], ids[0]], Ids(all));
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest, "validation-failed");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_WithInvalidFhir_FailsWithAProblemAndStoresNothing(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var invalid = Reports.PatientAndObservation("MRN-2").Replace("\"final\"", "\"finished\"", StringComparison.Ordinal);

        var badStatus = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(invalid), "application/fhir+json"));
        var searchset = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8("""{"resourceType":"Bundle","type":"searchset"}"""), "application/fhir+json"));
        var truncated = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8("""{"resourceType":"Patient","name":[{"fam"""), "application/fhir+json"));

        Assert.Equal("failed", badStatus.GetProperty("status").GetString());
        Assert.StartsWith("fhir.", badStatus.GetProperty("problem").GetProperty("code").GetString(), StringComparison.Ordinal);
        Assert.Contains("Bundle.entry[1]", badStatus.GetProperty("problem").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("fhir.bundle-type", searchset.GetProperty("problem").GetProperty("code").GetString());
        Assert.Equal("urn:carevault:problem:fhir.invalid-json", truncated.GetProperty("problem").GetProperty("type").GetString());
        Assert.All(new[] { badStatus, searchset, truncated }, j => Assert.Empty(j.GetProperty("resources").EnumerateArray()));
        Assert.Equal(0, await TotalAsync(http, "Patient"));
        Assert.Equal(0, await TotalAsync(http, "Provenance"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_FhirEntryBeyondTheSubmittersScopes_Fails(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync("system/DocumentReference.c system/Patient.crs");

        var job = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-3")), "application/fhir+json"));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("forbidden", job.GetProperty("problem").GetProperty("code").GetString());
        Assert.Contains("Bundle.entry[1]", job.GetProperty("problem").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await TotalAsync(http, "Patient"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_MappedFormat_GetsADocumentReferenceToTheOriginalAndProvenance(DatabaseProvider provider)
    {
        var app = await MappingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        using var form = new MultipartFormDataContent { { new StringContent("urn:oid:1.2.3|P-900"), "patientIdentifier" }, { new StringContent("lab"), "reportType" } };
        var file = new ByteArrayContent(IngestionApp.Utf8(Reports.Hl7));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/hl7-v2");
        form.Add(file, "file", "oru.hl7");
        var accepted = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/reports", UriKind.Relative), form)).Content.ReadAsStringAsync()).RootElement;
        var jobId = accepted.GetProperty("jobId").GetString()!;

        var job = await IngestionApp.WaitForJobAsync(http, jobId);

        Assert.Equal("completed", job.GetProperty("status").GetString());
        var resources = job.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(["Patient", "DiagnosticReport", "DocumentReference", "Provenance"], resources.Select(r => r.Split('/')[0]));
        var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + resources[2], UriKind.Relative))).RootElement;
        var attachment = document.GetProperty("content")[0].GetProperty("attachment");
        Assert.Equal($"/api/reports/{jobId}/original", attachment.GetProperty("url").GetString());
        Assert.Equal("application/hl7-v2", attachment.GetProperty("contentType").GetString());
        Assert.Equal(Reports.Hl7.Length, attachment.GetProperty("size").GetInt32());
        Assert.Equal(resources[0], document.GetProperty("subject").GetProperty("reference").GetString());
        Assert.Equal("lab", document.GetProperty("type").GetProperty("text").GetString());
        var provenance = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + resources[3], UriKind.Relative))).RootElement;
        Assert.Equal(resources[..3], provenance.GetProperty("target").EnumerateArray().Select(t => t.GetProperty("reference").GetString()));
        Assert.Equal(resources[2], provenance.GetProperty("entity")[0].GetProperty("what").GetProperty("reference").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_Hl7WithOnlyAPatient_CompletesWithThatPatient_AndKeepsTheOriginal(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();

        var job = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2"));

        // MSH and PID only: the mapping library makes the Patient (matched by PID-3) and nothing else.
        Assert.Equal("completed", job.GetProperty("status").GetString());
        var resources = job.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        var patient = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/" + Assert.Single(resources, r => r.StartsWith("Patient/", StringComparison.Ordinal)), UriKind.Relative))).RootElement;
        Assert.Equal("Doe", patient.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.DoesNotContain(resources, r => r.StartsWith("DiagnosticReport/", StringComparison.Ordinal));
        Assert.Equal(Reports.Hl7, await http.GetStringAsync(new Uri(job.GetProperty("original").GetString()!, UriKind.Relative)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_TransientFailures_RetryThenDeadLetter_AndAnAdminRetriesIt(DatabaseProvider provider)
    {
        var app = await MappingAsync(provider);
        var (tenant, _, http) = await app.NewHospitalAsync();
        var (_, admin) = await app.SignedInUserAsync(tenant, "admin");
        var (_, doctor) = await app.SignedInUserAsync(tenant, "doctor");
        using var form = new MultipartFormDataContent { { new StringContent("P-901"), "patientIdentifier" } };
        var file = new ByteArrayContent(IngestionApp.Utf8(Reports.Hl7));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/hl7-v2");
        form.Add(file, "file", "oru.hl7");

        Mapper.Failing = true;
        string jobId;
        JsonElement dead;
        try
        {
            jobId = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/reports", UriKind.Relative), form)).Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!;
            dead = await IngestionApp.WaitForJobAsync(http, jobId);
        }
        finally
        {
            Mapper.Failing = false;
        }

        Assert.Equal("dead-letter", dead.GetProperty("status").GetString());
        Assert.Equal(2, dead.GetProperty("attempts").GetInt32());
        Assert.Equal("error_InvalidOperationException", dead.GetProperty("problem").GetProperty("code").GetString());
        Assert.DoesNotContain("mapper failure", dead.GetRawText(), StringComparison.Ordinal); // exception messages stay out
        var letters = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/api/admin/jobs/dead-letters", UriKind.Relative))).RootElement;
        Assert.Equal([jobId], letters.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()));
        await ProblemAssert.IsProblemAsync(await doctor.PostAsync(new Uri($"/api/admin/jobs/{jobId}/retry", UriKind.Relative), null), HttpStatusCode.Forbidden, "forbidden");

        var retried = await admin.PostAsync(new Uri($"/api/admin/jobs/{jobId}/retry", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var done = await IngestionApp.WaitForJobAsync(http, jobId);
        Assert.True(done.GetProperty("status").GetString() == "completed", done.GetRawText());
        Assert.Equal(1, done.GetProperty("attempts").GetInt32());
        await ProblemAssert.IsProblemAsync(await admin.PostAsync(new Uri($"/api/admin/jobs/{jobId}/retry", UriKind.Relative), null), HttpStatusCode.Conflict, "job-not-retryable");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Job_PdfWithActiveContent_IsQuarantinedForAdmins_AndNeverMapped(DatabaseProvider provider)
    {
        var app = await MappingAsync(provider);
        var (tenant, _, http) = await app.NewHospitalAsync();
        var (_, admin) = await app.SignedInUserAsync(tenant, "admin");
        var (_, doctor) = await app.SignedInUserAsync(tenant, "doctor");
        var calls = Mapper.Calls;

        var job = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, Reports.Pdf(javaScript: true), "application/pdf"));

        Assert.Equal("quarantined", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("quarantined").GetBoolean());
        Assert.Equal("pdf-active-content", job.GetProperty("problem").GetProperty("code").GetString());
        Assert.Equal(calls, Mapper.Calls);
        var quarantine = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/api/admin/quarantine", UriKind.Relative))).RootElement;
        Assert.Equal([job.GetProperty("jobId").GetString()], quarantine.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()));
        var original = job.GetProperty("original").GetString()!;
        await ProblemAssert.IsProblemAsync(await doctor.GetAsync(new Uri(original, UriKind.Relative)), HttpStatusCode.Forbidden, "forbidden");
        var download = await admin.GetAsync(new Uri(original, UriKind.Relative));
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Reports.Pdf(javaScript: true), await download.Content.ReadAsByteArrayAsync());
        await ProblemAssert.IsProblemAsync(await http.GetAsync(new Uri("/api/admin/quarantine", UriKind.Relative)), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Job_PdfWithActiveContent_UnderRejectPolicy_Fails()
    {
        var app = await apps.GetAsync(DatabaseProvider.Sqlite, "reject-pdf", new Dictionary<string, string?> { ["Scanning:PdfActiveContent"] = "reject" });
        var (_, _, http) = await app.NewHospitalAsync();

        var job = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, Reports.Pdf(javaScript: true), "application/pdf"));
        var clean = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, Reports.Pdf(), "application/pdf"));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.False(job.GetProperty("quarantined").GetBoolean());
        Assert.Equal("pdf-active-content", job.GetProperty("problem").GetProperty("code").GetString());
        Assert.NotEqual("pdf-active-content", clean.GetProperty("problem").GetProperty("code").GetString()); // went past the scan to the mapper
        Assert.StartsWith("pdf.", clean.GetProperty("problem").GetProperty("code").GetString(), StringComparison.Ordinal);
    }
}
