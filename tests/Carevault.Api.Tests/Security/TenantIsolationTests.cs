using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Security;

/// <summary>
/// Every route, called with tenant B's credentials against tenant A's data, reveals nothing of A: a route that
/// addresses A's data answers exactly as it does for data that never existed (404 — existence is not revealed), a
/// listing shows none of A's entries, a platform-level route answers 403, and A's data is unchanged afterwards.
/// A route added without a probe here fails <see cref="EveryRoute_WithAnotherTenantsCredentials_RevealsNothingOfTheFirst"/>.
/// </summary>
public sealed class TenantIsolationTests
{
    const string Password = "a long enough passphrase";

    /// <summary>Routes that address no one tenant's data by id: the tenant is the caller's own, or there is none.</summary>
    static readonly Dictionary<string, string> CallerScoped = new()
    {
        ["GET /openapi/{documentName}.json"] = "the API description",
        ["GET /health/live"] = "no data",
        ["GET /health/ready"] = "no data",
        ["GET /metrics"] = "no data (loopback only, aggregates)",
        ["GET /.well-known/jwks.json"] = "public keys",
        ["GET /.well-known/smart-configuration"] = "public metadata",
        ["GET /fhir/metadata"] = "public capabilities",
        ["* /fhir/{**path}"] = "answers 404/405 for any tenant",
        ["POST /oauth/token"] = "the tenant is the authenticated client's",
        ["GET /oauth/authorize/"] = "the tenant is the client's; the person signs in to that tenant",
        ["POST /oauth/authorize/"] = "the tenant is the client's; the person signs in to that tenant",
        ["GET /api/me"] = "the caller's own account",
        ["GET /portal/live"] = "the caller's own tenant's live notices (LiveEventsTests)",
        ["POST /my-documents/original"] = "the caller's own compartment only; another tenant's or patient's key is 404 (PortalDocumentsTests)",
        ["POST /api/auth/login"] = "probed below: another tenant's credentials do not sign in",
        ["POST /api/auth/logout"] = "the caller's own session",
        ["POST /api/auth/password"] = "the caller's own password",
        ["POST /api/auth/register"] = "creates an account in the named tenant; reveals nothing of it",
        ["POST /api/auth/invitation/accept"] = "the invitation token names its tenant",
        ["POST /api/auth/password-reset/"] = "always 202, whatever the tenant and user",
        ["POST /api/auth/password-reset/confirm"] = "the reset token names its tenant",
        ["POST /api/auth/totp/setup"] = "the caller's own account",
        ["POST /api/auth/totp/confirm"] = "the caller's own account",
        ["GET /api/admin/settings"] = "the caller's tenant's settings",
        ["PUT /api/admin/settings"] = "the caller's tenant's settings",
        ["POST /api/admin/clients"] = "creates in the caller's tenant",
        ["POST /api/admin/apps"] = "creates in the caller's tenant",
        ["POST /api/admin/users"] = "creates in the caller's tenant",
        ["POST /api/admin/invitations"] = "creates in the caller's tenant",
        ["POST /api/reports/"] = "creates a job in the caller's tenant",
        ["POST /fhir/{type}/$validate"] = "validates the request body; reads and stores nothing",
        ["POST /fhir/AuditEvent/"] = "405 for every caller: the trail is written by the server alone",
        ["PUT /fhir/AuditEvent/"] = "405 for every caller",
        ["PATCH /fhir/AuditEvent/"] = "405 for every caller",
        ["DELETE /fhir/AuditEvent/"] = "405 for every caller",
        ["POST /fhir/AuditEvent/{id}"] = "405 for every caller",
        ["PUT /fhir/AuditEvent/{id}"] = "405 for every caller",
        ["PATCH /fhir/AuditEvent/{id}"] = "405 for every caller",
        ["DELETE /fhir/AuditEvent/{id}"] = "405 for every caller",
    };

    /// <summary>
    /// Portal pages (GET and POST) take no record id (no health data in portal URLs): each shows or changes only what the
    /// caller's own session reaches — PortalRecordsTests check a patient sees only their own record. Its static files
    /// and the framework's redirect helper hold no data.
    /// </summary>
    static readonly HashSet<string> PortalPages =
        ["/", "/login", "/register", "/forgot-password", "/reset-password", "/accept-invitation", "/profile", "/not-allowed", "/my-record", "/appointments", "/check-in", "/today", "/staff", "/admin/users", "/blood-requests", "/notifications",
         "/my-documents", "/my-medications", "/patients", "/chart", "/admin/clients", "/admin/jobs", "/admin/quarantine", "/admin/health", "/audit",
         "/_framework/opaque-redirect"];

    static bool IsPortalPageOrFile(string route)
    {
        var path = route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        return PortalPages.Contains(path) || path.StartsWith("_content/Carevault.Portal/", StringComparison.Ordinal);
    }

    sealed record TenantSetup(string Id, Hospital Hospital, string Token, HttpClient Admin, HttpClient Auditor, string DoctorUserId);

    static async Task<TenantSetup> CreateTenantAsync(CarevaultApp app)
    {
        var hospital = await Hospital.CreateAsync(app);
        var users = app.Services.GetRequiredService<UserStore>();
        await users.CreateAsync(hospital.TenantId, "admin", Password, Roles.Admin, default);
        var doctor = await users.CreateAsync(hospital.TenantId, "doctor", Password, Roles.Doctor, default);
        await users.CreateAsync(hospital.TenantId, "auditor", Password, Roles.Auditor, default);
        var admin = app.CreateClient();
        (await admin.PostAsJsonAsync("/api/auth/login", new { tenant = hospital.TenantId, username = "admin", password = Password })).EnsureSuccessStatusCode();
        var auditor = app.CreateClient();
        (await auditor.PostAsJsonAsync("/api/auth/login", new { tenant = hospital.TenantId, username = "auditor", password = Password })).EnsureSuccessStatusCode();
        using var anonymous = app.CreateClient();
        return new TenantSetup(hospital.TenantId, hospital, await hospital.GetTokenAsync(anonymous), admin, auditor, doctor!.Id);
    }

    static HttpRequestMessage Fhir(HttpMethod method, string path, string token, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
        return request;
    }

    static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The route's answer for A's data, and its answer for data that never existed, must be the same 404.</summary>
    /// (The body may echo the id the caller sent; it is compared by status, since trace ids differ per request.)
    static async Task AssertUnrevealedAsync(string route, Func<string, HttpRequestMessage> request, string aId, HttpClient http)
    {
        var forA = await SendAsync(http, request(aId));
        var forNothing = await SendAsync(http, request("0" + Guid.NewGuid().ToString("N")[1..]));
        Assert.True(forA.Status == HttpStatusCode.NotFound, $"{route}: tenant B got {(int)forA.Status} for tenant A's data");
        Assert.True(forNothing.Status == forA.Status, $"{route}: {(int)forA.Status} for A's data but {(int)forNothing.Status} for none");
    }

    static HttpRequestMessage Async(HttpRequestMessage request)
    {
        request.Headers.Add("Prefer", "respond-async");
        return request;
    }

    /// <summary>Kicks off a bulk export and polls it until done; returns its status URL's path.</summary>
    static async Task<string> ExportAsync(HttpClient http, string token, string path)
    {
        using var kickOff = await http.SendAsync(Async(Fhir(HttpMethod.Get, path, token)));
        Assert.Equal(HttpStatusCode.Accepted, kickOff.StatusCode);
        var status = kickOff.Content.Headers.ContentLocation!.PathAndQuery;
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var polled = await SendAsync(http, Fhir(HttpMethod.Get, status, token));
            if (polled.Status == HttpStatusCode.OK) return status;
            Assert.Equal(HttpStatusCode.Accepted, polled.Status);
            await Task.Delay(50);
        }
        throw new TimeoutException("The export did not finish.");
    }

    /// <summary>B's own export, system or Patient level, holds none of A's resources (<paramref name="ids"/>).</summary>
    static async Task AssertExportHoldsNoneOfAsync(HttpClient http, string token, string path, params string[] ids)
    {
        var manifest = JsonDocument.Parse((await SendAsync(http, Fhir(HttpMethod.Get, await ExportAsync(http, token, path), token))).Body).RootElement;
        foreach (var output in manifest.GetProperty("output").EnumerateArray())
        {
            var file = await SendAsync(http, Fhir(HttpMethod.Get, new Uri(output.GetProperty("url").GetString()!).PathAndQuery, token));
            Assert.Equal(HttpStatusCode.OK, file.Status);
            // B's own resources may point at A's ids (B's create probe makes one); none of A's resources is there.
            foreach (var line in file.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Assert.DoesNotContain(JsonDocument.Parse(line).RootElement.GetProperty("id").GetString(), ids);
        }
    }

    static int EntryCount(string bundle) =>
        JsonDocument.Parse(bundle).RootElement.TryGetProperty("entry", out var entries) ? entries.GetArrayLength() : 0;

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task EveryRoute_WithAnotherTenantsCredentials_RevealsNothingOfTheFirst(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var a = await CreateTenantAsync(app);
        var b = await CreateTenantAsync(app);
        using var http = app.CreateClient();
        var created = await SendAsync(http, Fhir(HttpMethod.Post, "/fhir/Patient", a.Token, """{"resourceType":"Patient","name":[{"family":"Isolated"}]}"""));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var patientId = JsonDocument.Parse(created.Body).RootElement.GetProperty("id").GetString()!;
        var upload = Fhir(HttpMethod.Post, "/api/reports", a.Token, """{"resourceType":"Patient","name":[{"family":"Uploaded"}]}""");
        var uploaded = await SendAsync(http, upload);
        Assert.Equal(HttpStatusCode.Accepted, uploaded.Status);
        var jobId = JsonDocument.Parse(uploaded.Body).RootElement.GetProperty("jobId").GetString()!;
        var group = await SendAsync(http, Fhir(HttpMethod.Post, "/fhir/Group", a.Token, $$$"""{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/{{{patientId}}}"}}]}"""));
        var groupId = JsonDocument.Parse(group.Body).RootElement.GetProperty("id").GetString()!;
        var exportStatus = await ExportAsync(http, a.Token, "/fhir/$export?_type=Patient");
        var exportId = exportStatus[(exportStatus.LastIndexOf('/') + 1)..];
        var trail = JsonDocument.Parse(await a.Auditor.GetStringAsync(new Uri("/fhir/AuditEvent?_count=1", UriKind.Relative))).RootElement;
        var auditEventId = trail.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString()!;

        var probes = new Dictionary<string, Func<Task>>
        {
            ["GET /fhir/{type}/{id}"] = () => AssertUnrevealedAsync("read", id => Fhir(HttpMethod.Get, $"/fhir/Patient/{id}", b.Token), patientId, http),
            ["GET /fhir/{type}/{id}/_history/{vid}"] = () => AssertUnrevealedAsync("vread", id => Fhir(HttpMethod.Get, $"/fhir/Patient/{id}/_history/1", b.Token), patientId, http),
            ["GET /fhir/{type}/{id}/_history"] = () => AssertUnrevealedAsync("history", id => Fhir(HttpMethod.Get, $"/fhir/Patient/{id}/_history", b.Token), patientId, http),
            ["DELETE /fhir/{type}/{id}"] = () => AssertUnrevealedAsync("delete", id => Fhir(HttpMethod.Delete, $"/fhir/Patient/{id}", b.Token), patientId, http),
            ["PUT /fhir/{type}/{id}"] = async () =>
            {
                // FHIR R4 http.html#update: updating an id the server does not know is 405 here (server-assigned ids),
                // and A's resource is unknown to B: the same answer as for an id that never existed.
                string Body(string id) => $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"family":"Overwritten"}]}""";
                var forA = await SendAsync(http, Fhir(HttpMethod.Put, $"/fhir/Patient/{patientId}", b.Token, Body(patientId)));
                var none = Guid.NewGuid().ToString("N");
                var forNothing = await SendAsync(http, Fhir(HttpMethod.Put, $"/fhir/Patient/{none}", b.Token, Body(none)));
                Assert.Equal(forNothing.Status, forA.Status);
                Assert.True(forA.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"update: {(int)forA.Status}");
            },
            ["GET /fhir/Patient/{id}/$everything"] = () => AssertUnrevealedAsync("$everything", id => Fhir(HttpMethod.Get, $"/fhir/Patient/{id}/$everything", b.Token), patientId, http),
            ["GET /fhir/Patient/{id}/{compartmentType:alpha}"] = async () =>
            {
                var search = await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/Patient/{patientId}/Observation", b.Token));
                Assert.True(search.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"compartment search: {(int)search.Status}");
                if (search.Status == HttpStatusCode.OK) Assert.Equal(0, EntryCount(search.Body));
            },
            ["PATCH /fhir/{type}/{id}"] = () => AssertUnrevealedAsync("patch", id =>
            {
                var request = Fhir(HttpMethod.Patch, $"/fhir/Patient/{id}", b.Token);
                request.Content = new StringContent("""[{"op":"replace","path":"/active","value":false}]""", Encoding.UTF8, "application/json-patch+json");
                return request;
            }, patientId, http),
            ["PUT /fhir/{type}"] = async () =>
            {
                // A conditional update matching A's patient finds nothing in B: it creates B's own resource instead.
                var update = await SendAsync(http, Fhir(HttpMethod.Put, $"/fhir/Patient?_id={patientId}", b.Token, """{"resourceType":"Patient","name":[{"family":"Conditional"}]}"""));
                Assert.Equal(HttpStatusCode.Created, update.Status);
                Assert.NotEqual(patientId, JsonDocument.Parse(update.Body).RootElement.GetProperty("id").GetString());
            },
            ["DELETE /fhir/{type}"] = async () =>
            {
                var delete = await SendAsync(http, Fhir(HttpMethod.Delete, $"/fhir/Patient?_id={patientId}", b.Token));
                Assert.True(delete.Status is HttpStatusCode.NotFound or HttpStatusCode.NoContent or HttpStatusCode.OK, $"conditional delete: {(int)delete.Status}");
            },
            ["GET /fhir/_history"] = async () =>
            {
                var history = await SendAsync(http, Fhir(HttpMethod.Get, "/fhir/_history", b.Token));
                Assert.Equal(HttpStatusCode.OK, history.Status);
                Assert.DoesNotContain(patientId, history.Body, StringComparison.Ordinal);
            },
            ["GET /fhir/{type}"] = async () =>
            {
                var search = await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/Patient?_id={patientId}", b.Token));
                Assert.Equal(HttpStatusCode.OK, search.Status);
                Assert.Equal(0, EntryCount(search.Body));
            },
            ["POST /fhir/{type}/_search"] = async () =>
            {
                var request = Fhir(HttpMethod.Post, "/fhir/Patient/_search", b.Token);
                request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["family"] = "Isolated" });
                var search = await SendAsync(http, request);
                Assert.Equal(HttpStatusCode.OK, search.Status);
                Assert.DoesNotContain(patientId, search.Body, StringComparison.Ordinal);
            },
            ["GET /fhir/{type}/_history"] = async () =>
            {
                var history = await SendAsync(http, Fhir(HttpMethod.Get, "/fhir/Patient/_history", b.Token));
                Assert.Equal(HttpStatusCode.OK, history.Status);
                Assert.DoesNotContain(patientId, history.Body, StringComparison.Ordinal);
            },
            ["POST /fhir/{type}"] = async () =>
            {
                // A reference to A's resource does not resolve in B (references are checked within the caller's tenant).
                var observation = $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patientId}}}"}}""";
                var create = await SendAsync(http, Fhir(HttpMethod.Post, "/fhir/Observation", b.Token, observation));
                var search = await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/Observation?subject=Patient/{patientId}", a.Token));
                Assert.Equal(HttpStatusCode.OK, search.Status);
                Assert.Equal(0, EntryCount(search.Body));
                Assert.True(create.Status is HttpStatusCode.Created or HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, $"create: {(int)create.Status}");
            },
            ["POST /api/admin/clients/{clientId}/rotate-secret"] = () => AssertUnrevealedAsync("rotate-secret", id => new HttpRequestMessage(HttpMethod.Post, $"/api/admin/clients/{id}/rotate-secret"), a.Hospital.ClientId, b.Admin),
            ["POST /api/admin/clients/{clientId}/revoke"] = () => AssertUnrevealedAsync("revoke-client", id => new HttpRequestMessage(HttpMethod.Post, $"/api/admin/clients/{id}/revoke"), a.Hospital.ClientId, b.Admin),
            ["POST /api/admin/users/{userId}/disable"] = () => AssertUnrevealedAsync("disable-user", id => new HttpRequestMessage(HttpMethod.Post, $"/api/admin/users/{id}/disable"), a.DoctorUserId, b.Admin),
            ["POST /api/admin/users/{userId}/enable"] = () => AssertUnrevealedAsync("enable-user", id => new HttpRequestMessage(HttpMethod.Post, $"/api/admin/users/{id}/enable"), a.DoctorUserId, b.Admin),
            ["PUT /api/admin/users/{userId}/fhir-user"] = () => AssertUnrevealedAsync("link-fhir-user",
                id => new HttpRequestMessage(HttpMethod.Put, $"/api/admin/users/{id}/fhir-user") { Content = JsonContent.Create(new { fhirUser = (string?)null }) }, a.DoctorUserId, b.Admin),
            ["GET /api/reports/{id}/original"] = () => AssertUnrevealedAsync("original", id => Fhir(HttpMethod.Get, $"/api/reports/{id}/original", b.Token), jobId, http),
            ["GET /api/jobs/{id}"] = () => AssertUnrevealedAsync("job", id => Fhir(HttpMethod.Get, $"/api/jobs/{id}", b.Token), jobId, http),
            ["POST /api/jobs/{id}/cancel"] = () => AssertUnrevealedAsync("cancel-job", id => Fhir(HttpMethod.Post, $"/api/jobs/{id}/cancel", b.Token), jobId, http),
            ["POST /api/admin/jobs/{id}/retry"] = () => AssertUnrevealedAsync("retry-job", id => new HttpRequestMessage(HttpMethod.Post, $"/api/admin/jobs/{id}/retry"), jobId, b.Admin),
            ["GET /api/reports/"] = async () =>
            {
                var listed = await SendAsync(http, Fhir(HttpMethod.Get, "/api/reports", b.Token));
                Assert.Equal(HttpStatusCode.OK, listed.Status);
                Assert.DoesNotContain(jobId, listed.Body, StringComparison.Ordinal);
            },
            ["GET /api/jobs/"] = async () =>
            {
                var listed = await SendAsync(http, Fhir(HttpMethod.Get, "/api/jobs", b.Token));
                Assert.Equal(HttpStatusCode.OK, listed.Status);
                Assert.DoesNotContain(jobId, listed.Body, StringComparison.Ordinal);
            },
            ["GET /api/admin/quarantine"] = async () =>
            {
                var listed = await b.Admin.GetAsync(new Uri("/api/admin/quarantine", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
                Assert.DoesNotContain(jobId, await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            },
            ["GET /api/admin/jobs/dead-letters"] = async () =>
            {
                var listed = await b.Admin.GetAsync(new Uri("/api/admin/jobs/dead-letters", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
                Assert.DoesNotContain(jobId, await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            },
            ["POST /fhir/{type}/{id}/$validate"] = () => AssertUnrevealedAsync("$validate", id => Fhir(HttpMethod.Post, $"/fhir/Patient/{id}/$validate", b.Token,
                $$$"""{"resourceType":"Patient","id":"{{{id}}}"}"""), patientId, http),
            ["GET /fhir/$export"] = () => AssertExportHoldsNoneOfAsync(http, b.Token, "/fhir/$export", patientId, groupId),
            ["GET /fhir/Patient/$export"] = () => AssertExportHoldsNoneOfAsync(http, b.Token, "/fhir/Patient/$export", patientId, groupId),
            ["GET /fhir/Group/{id}/$export"] = () => AssertUnrevealedAsync("group $export", id => Async(Fhir(HttpMethod.Get, $"/fhir/Group/{id}/$export", b.Token)), groupId, http),
            ["GET /fhir/$export-status/{id}"] = () => AssertUnrevealedAsync("$export status", id => Fhir(HttpMethod.Get, $"/fhir/$export-status/{id}", b.Token), exportId, http),
            ["DELETE /fhir/$export-status/{id}"] = () => AssertUnrevealedAsync("$export cancel", id => Fhir(HttpMethod.Delete, $"/fhir/$export-status/{id}", b.Token), exportId, http),
            ["GET /fhir/$export-file/{id}/{name}"] = () => AssertUnrevealedAsync("$export file", id => Fhir(HttpMethod.Get, $"/fhir/$export-file/{id}/Patient-1.ndjson", b.Token), exportId, http),
            ["GET /fhir/AuditEvent/{id}"] = async () =>
            {
                // AuditEvent ids are per-tenant sequence numbers: B's AuditEvent/{n} is B's own n-th record, never A's.
                var forB = await SendAsync(b.Auditor, new HttpRequestMessage(HttpMethod.Get, $"/fhir/AuditEvent/{auditEventId}"));
                Assert.True(forB.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"audit-event: {(int)forB.Status}");
                Assert.DoesNotContain(a.Id, forB.Body, StringComparison.Ordinal);
            },
            ["GET /fhir/AuditEvent/"] = async () =>
            {
                var listed = await b.Auditor.GetStringAsync(new Uri($"/fhir/AuditEvent?entity=Patient/{patientId}", UriKind.Relative));
                // B's own trail names A's patient and client (B's probes tried them); none of A's records (tenant A) appear.
                Assert.DoesNotContain(a.Id, listed, StringComparison.Ordinal);
            },
            ["GET /api/audit/"] = async () =>
            {
                // Only A uploaded a report: an upload record in B's trail would be A's (B's own job reads are there).
                Assert.DoesNotContain("\"seq\"", await b.Auditor.GetStringAsync(new Uri("/api/audit?type=upload", UriKind.Relative)), StringComparison.Ordinal);
                Assert.Contains("\"seq\"", await b.Auditor.GetStringAsync(new Uri("/api/audit?type=job-read", UriKind.Relative)), StringComparison.Ordinal);
            },
            ["GET /api/audit/export"] = async () =>
            {
                Assert.DoesNotContain("\"seq\"", await b.Auditor.GetStringAsync(new Uri("/api/audit/export?type=upload", UriKind.Relative)), StringComparison.Ordinal);
                Assert.Contains("\"seq\"", await b.Auditor.GetStringAsync(new Uri("/api/audit/export?type=job-read", UriKind.Relative)), StringComparison.Ordinal);
            },
            ["GET /api/admin/clients"] = async () =>
            {
                var listed = await b.Admin.GetStringAsync(new Uri("/api/admin/clients", UriKind.Relative));
                Assert.DoesNotContain(a.Hospital.ClientId, listed, StringComparison.Ordinal);
                Assert.Contains(b.Hospital.ClientId, listed, StringComparison.Ordinal);
            },
            ["POST /api/admin/tenants"] = async () =>
            {
                // Creating tenants is the operators' (platform-level): a hospital's administrator is refused outright.
                var response = await b.Admin.PostAsJsonAsync("/api/admin/tenants", new { id = "h-" + Guid.NewGuid().ToString("N")[..10], name = "Sneaky" });
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
            },
            ["POST /oauth/introspect"] = async () =>
            {
                var response = await http.PostAsync(new Uri("/oauth/introspect", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["token"] = a.Token, ["client_id"] = b.Hospital.ClientId, ["client_secret"] = b.Hospital.Secret,
                }));
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False(body.GetProperty("active").GetBoolean());
                Assert.Single(body.EnumerateObject());
            },
            ["POST /oauth/revoke"] = async () =>
            {
                var response = await http.PostAsync(new Uri("/oauth/revoke", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["token"] = a.Token, ["client_id"] = b.Hospital.ClientId, ["client_secret"] = b.Hospital.Secret,
                }));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode); // RFC 7009 §2.2: the same answer whatever the token
            },
            ["POST /api/auth/login"] = async () =>
            {
                var response = await http.PostAsJsonAsync("/api/auth/login", new { tenant = a.Id, username = "admin", password = "wrong for this tenant" });
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            },
            ["POST /fhir/$import"] = async () =>
            {
                // B's bulk load lands in B: A's search for the subject finds nothing, B's does.
                var line = $$$"""{"resourceType":"Observation","status":"final","code":{"text":"imported"},"subject":{"reference":"Patient/{{{patientId}}}"}}""";
                var request = Fhir(HttpMethod.Post, "/fhir/$import", b.Token);
                request.Content = new StringContent(line + "\n", Encoding.UTF8, "application/fhir+ndjson");
                var import = await SendAsync(http, request);
                Assert.Equal(HttpStatusCode.OK, import.Status);
                var forA = await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/Observation?subject=Patient/{patientId}&code:text=imported", a.Token));
                Assert.Equal(0, EntryCount(forA.Body));
                var forB = await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/Observation?subject=Patient/{patientId}&code:text=imported", b.Token));
                Assert.Equal(1, EntryCount(forB.Body));
            },
            ["POST /fhir/"] = async () =>
            {
                var bundle = $$$"""{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"{{{patientId}}}","name":[{"family":"Hijacked"}]},"request":{"method":"PUT","url":"Patient/{{{patientId}}}"}}]}""";
                var response = await SendAsync(http, Fhir(HttpMethod.Post, "/fhir", b.Token, bundle));
                Assert.True(response.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"transaction: {(int)response.Status}");
            },
        };

        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Where(r => !r.StartsWith("OPTIONS ", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        var unprobed = routes.Where(r => !probes.ContainsKey(r) && !CallerScoped.ContainsKey(r) && !IsPortalPageOrFile(r)).ToList();
        Assert.True(unprobed.Count == 0, "Routes with no tenant-isolation probe: " + string.Join(", ", unprobed));

        foreach (var (route, probe) in probes)
        {
            if (!routes.Contains(route)) Assert.Fail($"A probe names a route that no longer exists: {route}");
            await probe();
        }

        // A's data is as it was: the patient unchanged, its client still gets tokens, its doctor still signs in.
        var read = await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/Patient/{patientId}", a.Token));
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal("1", JsonDocument.Parse(read.Body).RootElement.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await a.Hospital.RequestTokenAsync(http)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, Fhir(HttpMethod.Get, "/fhir/Patient?_count=1", a.Token))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, Fhir(HttpMethod.Get, $"/api/jobs/{jobId}", a.Token))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, Fhir(HttpMethod.Get, $"/fhir/$export-file/{exportId}/Patient-1.ndjson", a.Token))).Status);
        using var doctor = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await doctor.PostAsJsonAsync("/api/auth/login", new { tenant = a.Id, username = "doctor", password = Password })).StatusCode);
    }
}
