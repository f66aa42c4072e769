using System.Net;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Identity.Clients;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Jobs;
using Carevault.Portal.Admin;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// The administrator's dashboard pages (clients, jobs and dead letters, quarantine, health) and the auditor's trail
/// viewer, over HTTP: who may open them, what their forms change, the audit record of each action, and forged posts.
/// </summary>
public sealed class PortalAdminTests
{
    const string Password = "a long enough passphrase";

    static readonly string[] AdminPages = ["/admin/clients", "/admin/jobs", "/admin/quarantine", "/admin/health"];

    sealed record Tenant(string Id, CarevaultApp App)
    {
        public async Task<PortalBrowser> SignedInAsync(string role)
        {
            var username = role + "-" + Guid.NewGuid().ToString("N")[..6];
            await App.Services.GetRequiredService<UserStore>().CreateAsync(Id, username, Password, role, default);
            var browser = PortalBrowser.Open(App);
            using var signedIn = await browser.SignInAsync(Id, username, Password);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            return browser;
        }
    }

    static async Task<Tenant> TenantAsync(CarevaultApp app)
    {
        var id = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(id, "Hospital " + id, default);
        return new Tenant(id, app);
    }

    static async Task<IReadOnlyList<AuditRecord>> RecordsSinceAsync(CarevaultApp app, string tenant, long afterSeq)
    {
        var all = await app.Services.GetRequiredService<AuditReader>().SearchAsync(tenant, new AuditFilter(), 1000, default);
        return all.Where(r => r.Seq > afterSeq).OrderBy(r => r.Seq).Select(r => r.Record).ToList();
    }

    static async Task<long> LastSeqAsync(CarevaultApp app, string tenant) =>
        (await app.Services.GetRequiredService<AuditReader>().SearchAsync(tenant, new AuditFilter(), 1, default)) is [var last, ..] ? last.Seq : 0;

    static async Task<IngestionJob> InsertJobAsync(CarevaultApp app, string tenant, string status, bool quarantined = false, string? problem = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var job = new IngestionJob
        {
            Id = "job-" + Guid.CreateVersion7().ToString("N"),
            TenantId = tenant,
            Submitter = "cli_test",
            SubmitterKind = "client",
            SubmitterScopes = "system/*.cruds",
            Status = status,
            Format = "pdf",
            ContentType = "application/pdf",
            Sha256 = new string('a', 64),
            SizeBytes = 2048,
            BlobKey = "originals/none",
            MasterKeyId = "none",
            CreatedAt = now,
            UpdatedAt = now,
            NextAttemptAt = now,
            Quarantined = quarantined ? 1 : 0,
        };
        Assert.True(await app.Services.GetRequiredService<JobStore>().InsertAsync(job, default));
        if (problem is not null)
        {
            // The store's own way to record why a job ended: claim-free, as an operator's fix-up would be in a test.
            await app.Services.GetRequiredService<Carevault.Storage.Database.Db>().ExecuteAsync(
                "UPDATE ingestion_jobs SET problem_code = @problem, problem_detail = 'The file failed every attempt.', attempts = 5 WHERE id = @id",
                new { problem, id = job.Id }, default);
        }
        return job;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AdminPages_RenderForAdmin_AndAreRefusedToPatientDoctorAndAuditor(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        using var admin = await tenant.SignedInAsync(Roles.Admin);
        using var patient = await tenant.SignedInAsync(Roles.Patient);
        using var doctor = await tenant.SignedInAsync(Roles.Doctor);
        using var auditor = await tenant.SignedInAsync(Roles.Auditor);

        foreach (var page in AdminPages)
        {
            var (status, html) = await admin.GetAsync(page);
            Assert.True(status == HttpStatusCode.OK, $"{page}: {status}");
            Assert.Contains("<h1>", html, StringComparison.Ordinal);
            Assert.Contains($"href=\"{page}\"", html, StringComparison.Ordinal); // in the admin's navigation
            foreach (var refused in new[] { patient, doctor, auditor })
            {
                using var response = await refused.Http.GetAsync(new Uri(page, UriKind.Relative));
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.Equal("/not-allowed", PortalBrowser.Location(response));
            }
        }
        var (_, health) = await admin.GetAsync("/admin/health");
        Assert.Contains("Database", health, StringComparison.Ordinal);
        Assert.Contains("Blob store", health, StringComparison.Ordinal);
        Assert.Contains("Virus scanner", health, StringComparison.Ordinal);
        Assert.Contains("Everything Carevault needs is ready.", health, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AuditViewer_IsTheAuditors_FiltersAndVerifiesTheChain(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        using var auditor = await tenant.SignedInAsync(Roles.Auditor);
        foreach (var role in new[] { Roles.Admin, Roles.Patient, Roles.Doctor })
        {
            using var refused = await tenant.SignedInAsync(role);
            using var response = await refused.Http.GetAsync(new Uri("/audit", UriKind.Relative));
            Assert.Equal("/not-allowed", PortalBrowser.Location(response));
        }

        using (var admin = await tenant.SignedInAsync(Roles.Admin)) Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/clients")).Status);

        var (status, html) = await auditor.GetAsync("/audit");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<td>admin</td>", html, StringComparison.Ordinal);

        using var filtered = await auditor.SubmitAsync("/audit", "audit-filter", new Dictionary<string, string> { ["Filter.Action"] = "audit-read", ["Filter.Outcome"] = "success" });
        var filteredHtml = await filtered.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, filtered.StatusCode);
        Assert.Contains("<td>audit-read</td>", filteredHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>admin</td>", filteredHtml, StringComparison.Ordinal);
        using var future = await auditor.SubmitAsync("/audit", "audit-filter", new Dictionary<string, string> { ["Filter.From"] = "2099-01-01T00:00" });
        Assert.Contains("No records match.", await future.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var invalid = await auditor.SubmitAsync("/audit", "audit-filter", new Dictionary<string, string> { ["Filter.From"] = "yesterday" });
        Assert.Contains("Enter a date and time such as 2026-01-31T08:00.", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var before = await LastSeqAsync(app, tenant.Id);
        using var verified = await auditor.SubmitAsync("/audit", "verify-chain", new Dictionary<string, string>());
        var verifiedHtml = await verified.Content.ReadAsStringAsync();
        Assert.Contains("The chain is intact:", verifiedHtml, StringComparison.Ordinal);
        var record = Assert.Single(await RecordsSinceAsync(app, tenant.Id, before + 1)); // the GET before the post, then the post
        Assert.Equal("audit-read", record.Action);
        Assert.Equal("verify chain", record.Detail);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RegisterClient_ShowsTheSecretOnce_ItAuthenticates_AndTheActionIsAudited(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        using var admin = await tenant.SignedInAsync(Roles.Admin);
        var before = await LastSeqAsync(app, tenant.Id);

        using var response = await admin.SubmitAsync("/admin/clients", "register-client",
            new Dictionary<string, string> { ["Register.Name"] = "Radiology <PACS>", ["Register.Scopes"] = "system/ImagingStudy.cruds system/Patient.rs", ["Register.TokenMinutes"] = "60" });
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var client = Assert.Single(await app.Services.GetRequiredService<ClientStore>().ListAsync(tenant.Id, default));
        Assert.Equal("Radiology <PACS>", client.Name);
        Assert.Equal("system/ImagingStudy.cruds system/Patient.rs", client.Scopes.ToString());
        Assert.Equal(TimeSpan.FromMinutes(60), client.TokenLifetime);
        Assert.Contains("Radiology &lt;PACS&gt;", html, StringComparison.Ordinal);
        var secret = System.Text.RegularExpressions.Regex.Match(html, "<code class=\"secret\">([^<]+)</code>").Groups[1].Value;
        Assert.NotEmpty(secret);
        Assert.NotNull(await app.Services.GetRequiredService<ClientStore>().AuthenticateAsync(client.Id, secret, default));
        var (_, again) = await admin.GetAsync("/admin/clients");
        Assert.Contains(client.Id, again, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, again, StringComparison.Ordinal);
        // One record for the registration (committed with the client), after the GET that loaded the form.
        var records = await RecordsSinceAsync(app, tenant.Id, before);
        var registration = Assert.Single(records, r => r.Detail == "register client");
        Assert.Equal("admin", registration.Action);
        Assert.Equal(200, registration.Status);
        Assert.Equal(3, records.Count); // GET (form), POST (register), GET (again)
        Assert.DoesNotContain(records, r => r.Query.Contains(secret, StringComparison.Ordinal) || r.Detail.Contains(secret, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RegisterClient_WithInvalidInput_ShowsInlineErrors_AndStoresNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        using var admin = await tenant.SignedInAsync(Roles.Admin);

        using var userScopes = await admin.SubmitAsync("/admin/clients", "register-client",
            new Dictionary<string, string> { ["Register.Name"] = "App", ["Register.Scopes"] = "patient/*.rs" });
        using var badMinutes = await admin.SubmitAsync("/admin/clients", "register-client",
            new Dictionary<string, string> { ["Register.Name"] = "LIS", ["Register.Scopes"] = "system/Observation.c", ["Register.TokenMinutes"] = "many" });
        using var noName = await admin.SubmitAsync("/admin/clients", "register-client",
            new Dictionary<string, string> { ["Register.Name"] = "", ["Register.Scopes"] = "system/Observation.c" });

        Assert.Contains("Give system/ scopes in SMART syntax", await userScopes.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Enter a whole number of minutes.", await badMinutes.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Enter a name.", await noName.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await app.Services.GetRequiredService<ClientStore>().ListAsync(tenant.Id, default));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ChangeScopesAndDisable_ChangeOnlyTheAdministratorsOwnClients(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        var other = await TenantAsync(app);
        var clients = app.Services.GetRequiredService<ClientStore>();
        Assert.True(ScopeSet.TryParse("system/Observation.c", out var scopes));
        var own = await clients.CreateAsync(tenant.Id, "LIS", scopes, null, default);
        var foreign = await clients.CreateAsync(other.Id, "Their LIS", scopes, null, default);
        using var admin = await tenant.SignedInAsync(Roles.Admin);

        using var changed = await admin.SubmitAsync("/admin/clients", "client-scopes",
            new Dictionary<string, string> { ["Scopes.Client"] = own.Client.Id, ["Scopes.Scopes"] = "system/Observation.cr system/Patient.r" });
        using var crossTenant = await admin.SubmitAsync("/admin/clients", "client-scopes",
            new Dictionary<string, string> { ["Scopes.Client"] = foreign.Client.Id, ["Scopes.Scopes"] = "system/*.cruds" });
        using var invalid = await admin.SubmitAsync("/admin/clients", "client-scopes",
            new Dictionary<string, string> { ["Scopes.Client"] = own.Client.Id, ["Scopes.Scopes"] = "user/*.cruds" });

        Assert.Contains("The scopes are changed.", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("That system was not found, or it is disabled.", await crossTenant.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Give system/ scopes in SMART syntax", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("system/Observation.cr system/Patient.r", Assert.Single(await clients.ListAsync(tenant.Id, default)).Scopes.ToString());
        Assert.Equal("system/Observation.c", Assert.Single(await clients.ListAsync(other.Id, default)).Scopes.ToString());

        using var foreignDisable = await admin.SubmitAsync("/admin/clients", "client-status", new Dictionary<string, string> { ["Status.Client"] = foreign.Client.Id });
        using var disabled = await admin.SubmitAsync("/admin/clients", "client-status", new Dictionary<string, string> { ["Status.Client"] = own.Client.Id });

        Assert.Contains("That system was not found.", await foreignDisable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("The system is disabled", await disabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await clients.AuthenticateAsync(own.Client.Id, own.Secret, default));
        Assert.NotNull(await clients.AuthenticateAsync(foreign.Client.Id, foreign.Secret, default));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task RetryingADeadLetter_RequeuesIt_AndAnotherTenantsJobIsNotFound(DatabaseProvider provider)
    {
        // No workers: a requeued job stays pending, so the test sees exactly what the retry did.
        await using var app = await CarevaultApp.StartAsync(provider, new Dictionary<string, string?> { ["Ingestion:Workers"] = "0" });
        var tenant = await TenantAsync(app);
        var other = await TenantAsync(app);
        var dead = await InsertJobAsync(app, tenant.Id, JobStatus.DeadLetter, problem: "error_InvalidOperationException");
        var completed = await InsertJobAsync(app, tenant.Id, JobStatus.Completed);
        var foreign = await InsertJobAsync(app, other.Id, JobStatus.DeadLetter, problem: "error_InvalidOperationException");
        using var admin = await tenant.SignedInAsync(Roles.Admin);

        var (_, page) = await admin.GetAsync("/admin/jobs");
        Assert.Contains(dead.Id, page, StringComparison.Ordinal);
        Assert.Contains("error_InvalidOperationException", page, StringComparison.Ordinal);
        Assert.DoesNotContain(foreign.Id, page, StringComparison.Ordinal);
        var (_, completedOnly) = await admin.GetAsync("/admin/jobs?status=completed");
        Assert.Contains(completed.Id, completedOnly, StringComparison.Ordinal);
        var before = await LastSeqAsync(app, tenant.Id);

        using var retried = await admin.SubmitAsync("/admin/jobs", "retry-job", new Dictionary<string, string> { ["Retry.Job"] = dead.Id });
        using var notRetryable = await admin.SubmitAsync("/admin/jobs", "retry-job", new Dictionary<string, string> { ["Retry.Job"] = completed.Id });
        using var crossTenant = await admin.SubmitAsync("/admin/jobs", "retry-job", new Dictionary<string, string> { ["Retry.Job"] = foreign.Id });

        Assert.Contains($"Job {dead.Id} is queued again.", await retried.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Only dead-lettered or failed jobs", await notRetryable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("That job was not found.", await crossTenant.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var jobs = app.Services.GetRequiredService<JobStore>();
        var requeued = (await jobs.GetAsync(tenant.Id, dead.Id, default))!;
        Assert.Equal(JobStatus.Pending, requeued.Status);
        Assert.Equal(0, requeued.Attempts);
        Assert.Null(requeued.ProblemCode);
        Assert.Equal(JobStatus.DeadLetter, (await jobs.GetAsync(other.Id, foreign.Id, default))!.Status);
        var records = await RecordsSinceAsync(app, tenant.Id, before);
        var retry = Assert.Single(records, r => r.Action == "admin" && r.Entities.Contains("Job/" + dead.Id));
        Assert.Equal(200, retry.Status);
        Assert.Equal("retry job", retry.Detail);
        Assert.Contains(records, r => r.Action == "admin" && r.Entities.Contains("Job/" + foreign.Id) && r.Status == 404);
        Assert.Contains(records, r => r.Action == "admin" && r.Entities.Contains("Job/" + completed.Id) && r.Status == 409);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Quarantine_ListsReasonSizeHashAndDate_OfTheTenantsFilesOnly(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, new Dictionary<string, string?> { ["Ingestion:Workers"] = "0" });
        var tenant = await TenantAsync(app);
        var other = await TenantAsync(app);
        var held = await InsertJobAsync(app, tenant.Id, JobStatus.Quarantined, quarantined: true, problem: "pdf-active-content");
        var foreign = await InsertJobAsync(app, other.Id, JobStatus.Quarantined, quarantined: true, problem: "malware-detected");
        using var admin = await tenant.SignedInAsync(Roles.Admin);

        var (status, html) = await admin.GetAsync("/admin/quarantine");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(held.Id, html, StringComparison.Ordinal);
        Assert.Contains("pdf-active-content", html, StringComparison.Ordinal);
        Assert.Contains(held.Sha256, html, StringComparison.Ordinal);
        Assert.Contains("2 KB", html, StringComparison.Ordinal);
        Assert.Contains(DateTimeOffset.FromUnixTimeMilliseconds(held.CreatedAt).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        Assert.DoesNotContain(foreign.Id, html, StringComparison.Ordinal);
        Assert.DoesNotContain("/original", html, StringComparison.Ordinal); // listed, never offered for viewing
    }

    [Theory]
    [InlineData("/admin/clients", "register-client", "Register.Name", "Forged")]
    [InlineData("/admin/clients", "client-status", "Status.Client", "cli_x")]
    [InlineData("/admin/clients", "client-scopes", "Scopes.Client", "cli_x")]
    [InlineData("/admin/jobs", "retry-job", "Retry.Job", "job-x")]
    public async Task AdminForms_PostedWithoutTheAntiforgeryToken_AreRefused(string path, string handler, string field, string value)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(app);
        using var admin = await tenant.SignedInAsync(Roles.Admin);

        using var forged = await admin.SubmitAsync(path, handler, new Dictionary<string, string> { [field] = value, ["Register.Scopes"] = "system/Observation.c" }, withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Empty(await app.Services.GetRequiredService<ClientStore>().ListAsync(tenant.Id, default));
    }

    [Fact]
    public async Task AuditViewerVerify_PostedWithoutTheAntiforgeryToken_IsRefused()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(app);
        using var auditor = await tenant.SignedInAsync(Roles.Auditor);

        using var forged = await auditor.SubmitAsync("/audit", "verify-chain", new Dictionary<string, string>(), withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.DoesNotContain("The chain is intact", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Roles.Doctor)]
    [InlineData(Roles.Patient)]
    [InlineData(Roles.Auditor)]
    public async Task AdminConsole_RefusesAnyoneButTheTenantsAdministrators(string role)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(app);
        var console = app.Services.GetRequiredService<AdminConsole>();
        var caller = new CallerContext(tenant.Id, "u1", "user", ScopeSet.Empty, role);
        var adminOfAnother = new CallerContext(tenant.Id, "u2", "user", ScopeSet.Empty, Roles.Admin);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.ClientsAsync(caller, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.RegisterClientAsync(caller, "X", "system/Observation.c", null, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.RetryAsync(caller, "job-x", default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => app.Services.GetRequiredService<AuditTrailViewer>().VerifyAsync(adminOfAnother, default));
        Assert.Empty(await console.ClientsAsync(adminOfAnother, default));
    }
}
