using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Intake;
using Carevault.Ingestion.Jobs;
using Carevault.Storage;
using Microsoft.Playwright;

namespace Carevault.Browser.Tests;

/// <summary>The administrator's dashboard and a patient's My documents in headless chromium against the real server.</summary>
[Collection(ChromiumGroup.Name)]
public sealed class PortalAdminJourneyTests(ChromiumFixture chromium)
{
    const string Password = "a long enough passphrase";
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    async Task<IPage> OpenAsync(PortalHost host, int width = 1280, int height = 800)
    {
        var context = await chromium.Browser.NewContextAsync(new() { BaseURL = host.Address, ViewportSize = new() { Width = width, Height = height }, AcceptDownloads = true });
        context.SetDefaultTimeout((float)Wait.TotalMilliseconds);
        return await context.NewPageAsync();
    }

    static async Task<string> TenantAsync(PortalHost host)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await host.Get<TenantStore>().CreateAsync(tenant, "St Elsewhere", default);
        return tenant;
    }

    static async Task SignInAsync(IPage page, string tenant, string username)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Organisation", new() { Exact = true }).FillAsync(tenant);
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    /// <summary>The page does not scroll sideways at this width (tables scroll inside their own region); the message names what sticks out.</summary>
    static async Task AssertNoSidewaysScrollAsync(IPage page)
    {
        var wide = await page.EvaluateAsync<string[]>("""
            () => document.documentElement.scrollWidth <= window.innerWidth ? [] :
                [...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                    .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
            """);
        Assert.True(wide.Length == 0, $"{page.Url} scrolls sideways: {string.Join(", ", wide.Take(8))}");
    }

    [Fact]
    public async Task Admin_RegistersAHospitalSystem_SeesItsSecretOnce_AndWalksTheDashboard()
    {
        await using var host = await PortalHost.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(host);
        await host.Get<UserStore>().CreateAsync(tenant, "ada", Password, Roles.Admin, default);
        var page = await OpenAsync(host);
        await SignInAsync(page, tenant, "ada");
        await page.WaitForURLAsync(new Regex("/admin/users$"));

        await page.GetByRole(AriaRole.Link, new() { Name = "Clients", Exact = true }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Radiology PACS");
        await page.GetByLabel("Scopes", new() { Exact = true }).FillAsync("system/ImagingStudy.cruds system/Patient.rs");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register and show the secret" }).ClickAsync();

        var issued = page.Locator("#issued-secret");
        await issued.WaitForAsync();
        var secret = (await issued.Locator("code.secret").InnerTextAsync()).Trim();
        Assert.True(secret.Length >= 32, secret);
        Assert.Equal("Radiology PACS", (await page.Locator("tbody th").First.InnerTextAsync()).Trim());
        await Screenshots.SaveAsync(page, "admin-clients");

        await page.GetByRole(AriaRole.Link, new() { Name = "Clients", Exact = true }).ClickAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs", Exact = true }).ClickAsync();
        Assert.True(await page.GetByText("No dead letters.").IsVisibleAsync());
        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("dead-letter");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/jobs\\?status=dead-letter$"));

        await page.GetByRole(AriaRole.Link, new() { Name = "Health", Exact = true }).ClickAsync();
        Assert.True(await page.GetByText("Everything Carevault needs is ready.").IsVisibleAsync());
        await Screenshots.SaveAsync(page, "admin-health");

        await page.SetViewportSizeAsync(360, 740);
        foreach (var path in new[] { "/admin/clients", "/admin/jobs", "/admin/quarantine", "/admin/health" })
        {
            await page.GotoAsync(path);
            await AssertNoSidewaysScrollAsync(page);
        }
        await Screenshots.SaveAsync(page, "admin-health-360px");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Patient_SeesTheirDocuments_AndDownloadsTheOriginal()
    {
        await using var host = await PortalHost.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(host);
        var pdf = Pdf();
        Assert.True(ScopeSet.TryParse("system/*.cruds", out var scopes));
        var hospital = new CallerContext(tenant, "cli_browser", "client", scopes);
        var metadata = new ReportMetadata { PatientIdentifierSystem = "http://hospital.example/mrn", PatientIdentifierValue = "MRN-77", ReportType = "discharge-letter", ReportDate = "2026-11-02" };
        var submitted = await host.Get<ReportIntake>().SubmitAsync(hospital, "application/pdf", new MemoryStream(pdf), metadata, null, default);
        Assert.Null(submitted.Error);
        var job = await WaitCompletedAsync(host, tenant, submitted.Job!.Id);
        await host.Get<UserStore>().CreateAsync(tenant, "amara", Password, Roles.Patient, null, job.PatientRef, default);
        var page = await OpenAsync(host, width: 360, height: 740);
        await SignInAsync(page, tenant, "amara");
        await page.WaitForURLAsync(new Regex("/my-record$"));

        await page.GetByRole(AriaRole.Link, new() { Name = "My documents", Exact = true }).ClickAsync();
        var row = page.Locator("tbody tr").First;
        Assert.Equal("discharge-letter", (await row.Locator("th").InnerTextAsync()).Trim());
        Assert.Contains("2 Nov 2026", await row.InnerTextAsync(), StringComparison.Ordinal);
        await AssertNoSidewaysScrollAsync(page);
        await Screenshots.SaveAsync(page, "patient-my-documents-360px");

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button, new() { Name = "Download the original of discharge-letter" }).ClickAsync());
        var saved = Path.Combine(Path.GetTempPath(), "carevault-" + Guid.NewGuid().ToString("N") + ".pdf");
        try
        {
            await download.SaveAsAsync(saved);
            Assert.Equal(pdf, await File.ReadAllBytesAsync(saved));
            Assert.Equal($"{job.Id}.pdf", download.SuggestedFilename);
        }
        finally
        {
            File.Delete(saved);
        }
        Assert.EndsWith("/my-documents", page.Url, StringComparison.Ordinal); // a download, not a navigation
        await page.Context.CloseAsync();
    }

    static async Task<IngestionJob> WaitCompletedAsync(PortalHost host, string tenant, string jobId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var job = await host.Get<JobStore>().GetAsync(tenant, jobId, default);
            if (job is { Status: JobStatus.Completed }) return job;
            Assert.True(job is { Status: JobStatus.Pending or JobStatus.InProgress }, $"job ended {job?.Status}: {job?.ProblemCode}");
            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>A minimal PDF (one empty page); offsets in the xref are exact.</summary>
    static byte[] Pdf()
    {
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ];
        var text = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(text.Length);
            text.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = text.Length;
        text.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) text.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        text.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
