using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Ingestion;
using Carevault.Audit.Trail;
using Carevault.Identity.People;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// A patient's My documents: the documents ingested for their own Patient, and the download of an original (a form
/// post, byte-identical, attachment), which no other patient can fetch whatever they post.
/// </summary>
public sealed partial class PortalDocumentsTests
{
    const string Password = IngestionApp.Password;

    sealed record Ingested(string JobId, string PatientRef, byte[] Original);

    /// <summary>A PDF report for the patient with this MRN, through the real upload and worker.</summary>
    static async Task<Ingested> IngestPdfAsync(HttpClient hospital, string mrn, string reportType)
    {
        var pdf = Reports.Pdf();
        using var form = new MultipartFormDataContent
        {
            { new StringContent($"{Reports.Mrn}|{mrn}"), "patientIdentifier" },
            { new StringContent(reportType), "reportType" },
            { new StringContent("2026-11-02"), "reportDate" },
        };
        var file = new ByteArrayContent(pdf);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", "letter.pdf");
        using var response = await hospital.PostAsync(new Uri("/api/reports", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var jobId = JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetString()!;
        var job = await IngestionApp.WaitForJobAsync(hospital, jobId);
        Assert.True(job.GetProperty("status").GetString() == "completed", job.GetRawText());
        return new Ingested(jobId, job.GetProperty("patient").GetString()!, pdf);
    }

    static async Task<PortalBrowser> PatientAsync(IngestionApp app, string tenant, string? patientRef)
    {
        var username = "pat-" + Guid.NewGuid().ToString("N")[..6];
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, username, Password, Roles.Patient, null, patientRef, default);
        var browser = new PortalBrowser(app.CreateClient());
        using var signedIn = await browser.SignInAsync(tenant, username, Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return browser;
    }

    /// <summary>Posts the download form of My documents, as the Download button does.</summary>
    static async Task<HttpResponseMessage> DownloadAsync(PortalBrowser browser, string key, bool withToken = true)
    {
        var (status, html) = await browser.GetAsync("/my-documents");
        Assert.Equal(HttpStatusCode.OK, status);
        var form = new Dictionary<string, string> { ["document"] = key };
        if (withToken) form["__RequestVerificationToken"] = AnyToken().Match(html).Groups[1].Value;
        return await browser.Http.PostAsync(new Uri("/my-documents/original", UriKind.Relative), new FormUrlEncodedContent(form));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Patient_DownloadsTheirOwnOriginal_ByteIdentical_AndCannotDownloadAnothers(DatabaseProvider provider)
    {
        await using var app = await IngestionApp.StartAsync(provider);
        var (tenant, _, hospital) = await app.NewHospitalAsync();
        var mine = await IngestPdfAsync(hospital, "MRN-" + Guid.NewGuid().ToString("N")[..8], "discharge-letter");
        var theirs = await IngestPdfAsync(hospital, "MRN-" + Guid.NewGuid().ToString("N")[..8], "psychiatry-report");
        using var me = await PatientAsync(app, tenant, mine.PatientRef);
        using var other = await PatientAsync(app, tenant, theirs.PatientRef);

        var (status, html) = await me.GetAsync("/my-documents");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("discharge-letter", html, StringComparison.Ordinal);
        Assert.Contains("2 Nov 2026", html, StringComparison.Ordinal);
        Assert.Contains("PDF", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"{mine.JobId}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("psychiatry", html, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.JobId, html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/my-documents/original", html, StringComparison.Ordinal); // no ids in links

        using var download = await DownloadAsync(me, mine.JobId);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(mine.Original, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal($"{mine.JobId}.pdf", download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Contains("no-store", download.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);

        using var stolen = await DownloadAsync(me, theirs.JobId);
        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        Assert.DoesNotContain("%PDF", await stolen.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var unknown = await DownloadAsync(me, "job-does-not-exist");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var theirOwn = await DownloadAsync(other, theirs.JobId);
        Assert.Equal(theirs.Original, await theirOwn.Content.ReadAsByteArrayAsync());
        // Another organisation's patient whose account names the same Patient id finds nothing: jobs are per tenant.
        var (otherTenant, _, _) = await app.NewHospitalAsync();
        using var elsewhere = await PatientAsync(app, otherTenant, mine.PatientRef);
        var (_, elsewhereHtml) = await elsewhere.GetAsync("/my-documents");
        Assert.DoesNotContain(mine.JobId, elsewhereHtml, StringComparison.Ordinal);
        using var crossTenant = await DownloadAsync(elsewhere, mine.JobId);
        Assert.Equal(HttpStatusCode.NotFound, crossTenant.StatusCode);

        // Each download is recorded: the patient, the resources and the job; the refused one as a failure.
        var views = await app.Services.GetRequiredService<AuditReader>().SearchAsync(tenant, new AuditFilter { Action = "search", Entity = mine.PatientRef }, 100, default);
        Assert.NotEmpty(views); // each view of My documents names the patient whose documents it listed
        var records = await app.Services.GetRequiredService<AuditReader>().SearchAsync(tenant, new AuditFilter { Action = "download" }, 100, default);
        Assert.Contains(records, r => r.Record.Status == 200 && r.Record.Entities.Contains(mine.PatientRef) && r.Record.Entities.Contains("Job/" + mine.JobId));
        Assert.Contains(records, r => r.Record.Status == 404 && r.Record.ActorRole == Roles.Patient);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Download_WithoutTheAntiforgeryToken_OrByADoctor_IsRefused(DatabaseProvider provider)
    {
        await using var app = await IngestionApp.StartAsync(provider);
        var (tenant, _, hospital) = await app.NewHospitalAsync();
        var mine = await IngestPdfAsync(hospital, "MRN-" + Guid.NewGuid().ToString("N")[..8], "discharge-letter");
        using var me = await PatientAsync(app, tenant, mine.PatientRef);

        using var forged = await DownloadAsync(me, mine.JobId, withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.DoesNotContain("%PDF", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..6];
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, doctorName, Password, Roles.Doctor, default);
        using var doctor = new PortalBrowser(app.CreateClient());
        (await doctor.SignInAsync(tenant, doctorName, Password)).Dispose();
        var (_, profile) = await doctor.GetAsync("/profile");
        using var post = await doctor.Http.PostAsync(new Uri("/my-documents/original", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["document"] = mine.JobId,
            ["__RequestVerificationToken"] = AnyToken().Match(profile).Groups[1].Value,
        }));
        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        Assert.Equal("/not-allowed", PortalBrowser.Location(post));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task MyDocuments_ForAnUnlinkedPatient_ShowsTheEmptyState(DatabaseProvider provider)
    {
        await using var app = await IngestionApp.StartAsync(provider);
        var (tenant, _, _) = await app.NewHospitalAsync();
        using var unlinked = await PatientAsync(app, tenant, null);

        var (status, html) = await unlinked.GetAsync("/my-documents");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Your record is not connected yet", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/my-documents\"", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AnyToken();
}
