using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Audit;

public sealed class AuditTrailApiTests
{
    static (string Type, string Outcome, string Actor) Summary(JsonElement r) =>
        (r.GetProperty("type").GetString()!, r.GetProperty("outcome").GetString()!, r.GetProperty("actor").GetProperty("id").GetString()!);

    /// <summary>Issue 6, done when: a scripted session leaves one record per action, verify passes, /metrics counts it.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ScriptedSession_LeavesOneRecordPerAction_ThatVerifies_AndMetricsCountTheRequests(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await s.SignInAsync(client, "dr.ada")).StatusCode);
        var token = await s.Hospital.GetTokenAsync(client);
        var id = await AuditSession.CreatePatientAsync(client, token, "Lovelace");
        using var upload = new HttpRequestMessage(HttpMethod.Post, "/api/reports")
        {
            Content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(
                "MSH|^~\\&|LAB|RIVERBEND|EHR|HOSP|202611210815||ORU^R01|AUDIT-1|P|2.5.1\rPID|1||55501^^^HOSP^MR||Lovelace^Ada\rOBR|1||ACC1|2345-7^Glucose^LN|||202611210700\rOBX|1|NM|2345-7^Glucose^LN||98|mg/dL|70-99|N|||F\r"))
            {
                Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/hl7-v2") },
            },
        };
        upload.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var accepted = await client.SendAsync(upload);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = System.Text.Json.JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get($"/fhir/Patient/{id}", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/fhir/Patient?family=Lovelace", token))).StatusCode);
        using var stranger = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.SignInAsync(stranger, "dr.ada", "wrong password")).StatusCode);
        using var auditor = await s.AuditorAsync();

        var trail = await AuditSession.TrailAsync(auditor);

        var clientId = s.Hospital.ClientId;
        Assert.Equal(
        [
            ("login", "success", s.DoctorId),
            ("token-issue", "success", clientId),
            ("create", "success", clientId),
            ("upload", "success", clientId),
            ("read", "success", clientId),
            ("search", "success", clientId),
            ("login", "failure", "dr.ada"),
            ("login", "success", s.AuditorId),
        ], trail.Select(Summary).ToList());
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), trail.Select(r => r.GetProperty("seq").GetInt64()));
        Assert.All(new[] { trail[2], trail[4], trail[5] }, r => Assert.Contains($"Patient/{id}", r.GetProperty("entities").EnumerateArray().Select(e => e.GetString())));
        Assert.Contains($"Job/{job}", trail[3].GetProperty("entities").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("family=Lovelace", trail[5].GetProperty("query").GetString());
        Assert.Equal(("client", 201), (trail[2].GetProperty("actor").GetProperty("kind").GetString(), trail[2].GetProperty("status").GetInt32()));
        Assert.Equal(("user", "doctor"), (trail[0].GetProperty("actor").GetProperty("kind").GetString(), trail[0].GetProperty("actor").GetProperty("role").GetString()));
        Assert.Equal(401, trail[6].GetProperty("status").GetInt32());
        Assert.StartsWith("bad-credentials", trail[6].GetProperty("detail").GetString(), StringComparison.Ordinal);

        var verdict = Assert.Single(await app.Services.GetRequiredService<AuditVerifier>().VerifyAsync(s.Hospital.TenantId, default));
        Assert.True(verdict.IsIntact, verdict.Problem);

        string metrics = "";
        for (var attempt = 0; attempt < 50 && !(metrics.Contains("route=\"/fhir/{type}/{id}\"", StringComparison.Ordinal) && metrics.Contains("route=\"/api/auth/login\"", StringComparison.Ordinal)); attempt++)
        {
            metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            await Task.Delay(50);
        }
        var lines = metrics.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal) && l.Contains("route=\"/fhir/{type}/{id}\"", StringComparison.Ordinal) && l.Contains("status=\"200\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal) && l.Contains("route=\"/api/auth/login\"", StringComparison.Ordinal) && l.Contains("status=\"401\"", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Auditor_CannotReadOrWriteClinicalResources(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var id = await AuditSession.CreatePatientAsync(client, await s.Hospital.GetTokenAsync(client), "Hidden");
        using var auditor = await s.AuditorAsync();

        var read = await auditor.GetAsync(new Uri($"/fhir/Patient/{id}", UriKind.Relative));
        var search = await auditor.GetAsync(new Uri("/fhir/Patient?family=Hidden", UriKind.Relative));
        var create = await auditor.PostAsync(new Uri("/fhir/Patient", UriKind.Relative),
            new StringContent("""{"resourceType":"Patient"}""", System.Text.Encoding.UTF8, "application/fhir+json"));

        Assert.Contains(read.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.Contains(search.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.Contains(create.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.DoesNotContain("Hidden", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Hidden", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // ...and the refused attempts are themselves on the trail, as failures by the auditor.
        var attempts = (await AuditSession.TrailAsync(auditor, "&agent=" + s.AuditorId + "&outcome=failure")).Select(r => r.GetProperty("type").GetString()).ToList();
        Assert.Equal(["read", "search", "create"], attempts);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AuditApi_IsForAuditorsOnly(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var anonymous = app.CreateClient();
        using var doctor = app.CreateClient();
        (await s.SignInAsync(doctor, "dr.ada")).EnsureSuccessStatusCode();
        // A hospital system holding every FHIR scope is still not an auditor.
        var token = await s.Hospital.GetTokenAsync(anonymous);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/audit", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await doctor.GetAsync(new Uri("/api/audit", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await doctor.GetAsync(new Uri("/api/audit/export", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.SendAsync(Hospital.Get("/api/audit", token))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.SendAsync(Hospital.Get("/fhir/AuditEvent", token))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AuditApi_ShowsOnlyTheCallersTenant(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var a = await AuditSession.CreateAsync(app);
        var b = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var id = await AuditSession.CreatePatientAsync(client, await a.Hospital.GetTokenAsync(client), "Isolated");
        using var auditorB = await b.AuditorAsync();

        var trail = await AuditSession.TrailAsync(auditorB);
        var byEntity = await AuditSession.TrailAsync(auditorB, $"&entity=Patient/{id}");
        var fhir = await auditorB.GetFromJsonAsync<JsonElement>($"/fhir/AuditEvent?entity=Patient/{id}");

        Assert.Equal([("login", "success", b.AuditorId)], trail.Select(Summary).ToList());
        Assert.Empty(byEntity);
        Assert.False(fhir.TryGetProperty("entry", out var entries) && entries.GetArrayLength() > 0);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AuditApi_FiltersAndPagesNewestFirst(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await AuditSession.CreatePatientAsync(client, token, "Page" + i));
        using var auditor = await s.AuditorAsync();

        var first = await auditor.GetFromJsonAsync<JsonElement>("/api/audit?type=create&count=2");
        var next = first.GetProperty("next").GetString()!;
        var second = await auditor.GetFromJsonAsync<JsonElement>(next);
        var today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var dated = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit?type=create&date=ge{today}&date=lt2999-01-01");
        var none = await auditor.GetFromJsonAsync<JsonElement>("/api/audit?type=create&date=lt2000-01-01");
        var bad = await auditor.GetAsync(new Uri("/api/audit?date=yesterday", UriKind.Relative));

        static List<string> Entities(JsonElement page) => page.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("entities")[0].GetString()!).ToList();
        Assert.Equal([$"Patient/{ids[2]}", $"Patient/{ids[1]}"], Entities(first));
        Assert.Equal([$"Patient/{ids[0]}"], Entities(second));
        Assert.Equal(3, dated.GetProperty("records").GetArrayLength());
        Assert.Equal(0, none.GetProperty("records").GetArrayLength());
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest, "bad-request");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Export_StreamsEveryRecordAsOneJsonLine(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        await AuditSession.CreatePatientAsync(client, token, "Export");
        using var auditor = await s.AuditorAsync();

        var response = await auditor.GetAsync(new Uri("/api/audit/export", UriKind.Relative));
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        // Newest first; the export's own record is already durable when the first line is written.
        Assert.Equal(["audit-read", "login", "create", "token-issue"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()).ToList());
        Assert.Equal([4L, 3L, 2L, 1L], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()).ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AuditedRead_WhenTheTrailCannotBeWritten_AnswersUnavailableWithoutTheData(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        var id = await AuditSession.CreatePatientAsync(client, token, "Unrecorded");
        await app.Services.GetRequiredService<Db>().ExecuteAsync("DROP TABLE audit_entities", null, default);

        var response = await client.SendAsync(Hospital.Get($"/fhir/Patient/{id}", token));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "audit-unavailable");
        Assert.DoesNotContain("Unrecorded", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Writes_WhenTheirRecordCannotBeWritten_AreNotStored(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        var db = app.Services.GetRequiredService<Db>();
        await db.ExecuteAsync("DROP TABLE audit_entities", null, default);

        var create = Hospital.Get("/fhir/Patient", token);
        create.Method = HttpMethod.Post;
        create.Content = new StringContent("""{"resourceType":"Patient","name":[{"family":"Unaudited"}]}""", System.Text.Encoding.UTF8, "application/fhir+json");
        var response = await client.SendAsync(create);

        Assert.True((int)response.StatusCode >= 500, $"{response.StatusCode}");
        await using (var connection = await db.OpenAsync(default))
        {
            // The record is written in the write's transaction: without it, nothing of the write was committed.
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_resources WHERE tenant_id = @TenantId", new { s.Hospital.TenantId }));
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_history WHERE tenant_id = @TenantId", new { s.Hospital.TenantId }));
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Writes_LeaveOneRecordEach_WithTheResourcesTheyTouched(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        var id = await AuditSession.CreatePatientAsync(client, token, "Before");

        var update = Hospital.Get($"/fhir/Patient/{id}", token);
        update.Method = HttpMethod.Put;
        update.Content = new StringContent($$"""{"resourceType":"Patient","id":"{{id}}","name":[{"family":"After"}]}""", System.Text.Encoding.UTF8, "application/fhir+json");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(update)).StatusCode);
        var bundle = Hospital.Get("/fhir", token);
        bundle.Method = HttpMethod.Post;
        bundle.Content = new StringContent($$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:0b6c1f0e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","name":[{"family":"New"}]},"request":{"method":"POST","url":"Patient"}},
              {"request":{"method":"DELETE","url":"Patient/{{{id}}}"}}]}
            """, System.Text.Encoding.UTF8, "application/fhir+json");
        var transaction = await client.SendAsync(bundle);
        Assert.Equal(HttpStatusCode.OK, transaction.StatusCode);
        var created = (await transaction.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entry")[0].GetProperty("response").GetProperty("location").GetString()!.Split('/')[1];
        using var auditor = await s.AuditorAsync();

        var writes = (await AuditSession.TrailAsync(auditor)).Where(r => r.GetProperty("type").GetString() is "create" or "update" or "transaction").ToList();

        Assert.Equal([("create", 201), ("update", 200), ("transaction", 200)], writes.Select(r => (r.GetProperty("type").GetString()!, r.GetProperty("status").GetInt32())).ToList());
        Assert.Equal([$"Patient/{id}"], writes[1].GetProperty("entities").EnumerateArray().Select(e => e.GetString()).ToList());
        Assert.Equal([$"Patient/{created}", $"Patient/{id}"], writes[2].GetProperty("entities").EnumerateArray().Select(e => e.GetString()).ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SignIn_FailuresAreRecordedWithTheirReason_IncludingTheLockout(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        for (var i = 0; i <= Carevault.Identity.People.Lockout.FreeAttempts + 1; i++) await s.SignInAsync(client, "dr.ada", "wrong password");
        await s.SignInAsync(client, "nobody");
        using var auditor = await s.AuditorAsync();

        var details = (await AuditSession.TrailAsync(auditor, "&type=login&outcome=failure")).Select(r => r.GetProperty("detail").GetString()).ToList();

        Assert.Equal("bad-credentials", details[0]);
        Assert.Contains("lockout", details);
        Assert.Equal("locked", details[^2]);
        Assert.Equal("unknown-user", details[^1]);
    }
}
