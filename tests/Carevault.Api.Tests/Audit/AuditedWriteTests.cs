using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Audit;

/// <summary>
/// Issue 6: "an audited action is never committed without its record". Batch Bundle entries and administration
/// writes append their record inside their own transaction: when the record cannot be written, nothing is stored.
/// </summary>
public sealed class AuditedWriteTests
{
    static async Task<HttpClient> AdminAsync(AuditSession s)
    {
        await s.App.Services.GetRequiredService<UserStore>().CreateAsync(s.Hospital.TenantId, "root", AuditSession.Password, Roles.Admin, default);
        var admin = s.App.CreateClient();
        (await s.SignInAsync(admin, "root")).EnsureSuccessStatusCode();
        return admin;
    }

    static HttpRequestMessage Batch(string token, string entries)
    {
        var request = Hospital.Get("/fhir", token);
        request.Method = HttpMethod.Post;
        request.Content = new StringContent($$"""{"resourceType":"Bundle","type":"batch","entry":[{{entries}}]}""", Encoding.UTF8, "application/fhir+json");
        return request;
    }

    static async Task<long> CountAsync(CarevaultApp app, string sql, object parameters)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default);
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    static Task<int> ExecuteAsync(CarevaultApp app, string sql) => app.Services.GetRequiredService<Db>().ExecuteAsync(sql, null, default);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task BatchEntries_LeaveARecordEach_BesideTheBatchsOwn(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        var id = await AuditSession.CreatePatientAsync(client, token, "Before");

        var response = await client.SendAsync(Batch(token, $$$"""
            {"resource":{"resourceType":"Patient","name":[{"family":"New"}]},"request":{"method":"POST","url":"Patient"}},
            {"request":{"method":"GET","url":"Patient/{{{id}}}"}},
            {"request":{"method":"DELETE","url":"Patient/{{{id}}}"}}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entry");
        var created = entries[0].GetProperty("response").GetProperty("location").GetString()!.Split('/')[1];
        Assert.Equal("400", entries[1].GetProperty("response").GetProperty("status").GetString());
        using var auditor = await s.AuditorAsync();
        var trail = (await AuditSession.TrailAsync(auditor)).Where(r => r.GetProperty("type").GetString() is "create" or "delete" or "transaction").Skip(1).ToList();
        Assert.Equal(
        [
            ("create", 201, "batch entry 0", $"Patient/{created}"),
            ("delete", 204, "batch entry 2", $"Patient/{id}"),
        ], trail.Take(2).Select(r => (r.GetProperty("type").GetString()!, r.GetProperty("status").GetInt32(), r.GetProperty("detail").GetString()!,
            Assert.Single(r.GetProperty("entities").EnumerateArray()).GetString()!)).ToList());
        var batch = trail[2];
        Assert.Equal(("transaction", 200), (batch.GetProperty("type").GetString()!, batch.GetProperty("status").GetInt32()));
        Assert.Equal([$"Patient/{created}", $"Patient/{id}"], batch.GetProperty("entities").EnumerateArray().Select(e => e.GetString()).ToList());
        Assert.Equal(3, trail.Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task BatchEntry_WhenItsRecordCannotBeWritten_IsNotStored(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        await ExecuteAsync(app, "DROP TABLE audit_entities");

        var response = await client.SendAsync(Batch(token, """
            {"resource":{"resourceType":"Patient","name":[{"family":"Unaudited"}]},"request":{"method":"POST","url":"Patient"}}
            """));

        Assert.True((int)response.StatusCode >= 500, $"{response.StatusCode}");
        // The entry's record is written in the entry's transaction: without it, nothing of the entry was committed.
        Assert.Equal(0, await CountAsync(app, "SELECT COUNT(*) FROM fhir_resources WHERE tenant_id = @TenantId", new { s.Hospital.TenantId }));
        Assert.Equal(0, await CountAsync(app, "SELECT COUNT(*) FROM fhir_history WHERE tenant_id = @TenantId", new { s.Hospital.TenantId }));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AdminWrites_LeaveOneRecordEach_WithTheirStatus(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var admin = await AdminAsync(s);

        var user = await admin.PostAsJsonAsync("/api/admin/users", new { username = "new.nurse", password = AuditSession.Password, role = Roles.Staff });
        Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        var userId = (await user.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync(new Uri($"/api/admin/users/{userId}/disable", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync(new Uri($"/api/admin/clients/{s.Hospital.ClientId}/rotate-secret", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync(new Uri($"/api/admin/clients/{s.Hospital.ClientId}/revoke", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/admin/settings", new { allowPatientRegistration = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync(new Uri("/api/admin/users/nobody/disable", UriKind.Relative), null)).StatusCode);
        using var auditor = await s.AuditorAsync();

        var trail = (await AuditSession.TrailAsync(auditor)).Where(r => r.GetProperty("type").GetString() is "admin" or "key-rotation").ToList();

        Assert.Equal(
        [
            ("admin", 201, ""),
            ("admin", 204, $"user/{userId}"),
            ("key-rotation", 200, $"client/{s.Hospital.ClientId}"),
            ("admin", 204, $"client/{s.Hospital.ClientId}"),
            ("admin", 200, ""),
            ("admin", 404, "user/nobody"),
        ], trail.Select(r => (r.GetProperty("type").GetString()!, r.GetProperty("status").GetInt32(),
            r.GetProperty("entities").EnumerateArray().Select(e => e.GetString()).SingleOrDefault() ?? "")).ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AdminWrites_WhenTheirRecordCannotBeWritten_AreNotStored(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var admin = await AdminAsync(s);
        await ExecuteAsync(app, "DROP TABLE audit_records");

        var user = await admin.PostAsJsonAsync("/api/admin/users", new { username = "unaudited", password = AuditSession.Password, role = Roles.Staff });
        var disable = await admin.PostAsync(new Uri($"/api/admin/users/{s.DoctorId}/disable", UriKind.Relative), null);
        var revoke = await admin.PostAsync(new Uri($"/api/admin/clients/{s.Hospital.ClientId}/revoke", UriKind.Relative), null);
        var settings = await admin.PutAsJsonAsync("/api/admin/settings", new { allowPatientRegistration = true });

        Assert.All([user, disable, revoke, settings], r => Assert.True((int)r.StatusCode >= 500, $"{r.StatusCode}"));
        var t = new { s.Hospital.TenantId };
        Assert.Equal(0, await CountAsync(app, "SELECT COUNT(*) FROM users WHERE tenant_id = @TenantId AND username = 'unaudited'", t));
        Assert.Equal(0, await CountAsync(app, "SELECT COUNT(*) FROM users WHERE tenant_id = @TenantId AND status <> 'active'", t));
        Assert.Equal(0, await CountAsync(app, "SELECT COUNT(*) FROM clients WHERE tenant_id = @TenantId AND status <> 'active'", t));
        Assert.Equal(0, await CountAsync(app, "SELECT COUNT(*) FROM tenants WHERE id = @TenantId AND allow_patient_registration <> 0", t));
    }
}
