using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Audit;

/// <summary>A hospital (tenant + client) with a doctor and an auditor who can sign in, for audit tests.</summary>
public sealed record AuditSession(CarevaultApp App, Hospital Hospital, string DoctorId, string AuditorId)
{
    public const string Password = "correct horse battery staple";

    public static async Task<AuditSession> CreateAsync(CarevaultApp app)
    {
        var hospital = await Hospital.CreateAsync(app);
        var users = app.Services.GetRequiredService<UserStore>();
        var doctor = await users.CreateAsync(hospital.TenantId, "dr.ada", Password, Roles.Doctor, default);
        var auditor = await users.CreateAsync(hospital.TenantId, "audrey", Password, Roles.Auditor, default);
        return new AuditSession(app, hospital, doctor!.Id, auditor!.Id);
    }

    public Task<HttpResponseMessage> SignInAsync(HttpClient client, string username, string password = Password) =>
        client.PostAsJsonAsync("/api/auth/login", new { tenant = Hospital.TenantId, username, password });

    /// <summary>A client holding the auditor's session cookie.</summary>
    public async Task<HttpClient> AuditorAsync()
    {
        var client = App.CreateClient();
        (await SignInAsync(client, "audrey")).EnsureSuccessStatusCode();
        return client;
    }

    public static async Task<string> CreatePatientAsync(HttpClient client, string token, string family)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/fhir/Patient")
        {
            Content = new StringContent($$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""", System.Text.Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>The tenant's trail through <c>GET /api/audit</c>, oldest first.</summary>
    public static async Task<List<JsonElement>> TrailAsync(HttpClient auditor, string query = "")
    {
        var page = await auditor.GetFromJsonAsync<JsonElement>("/api/audit?count=1000" + query);
        return page.GetProperty("records").EnumerateArray().Reverse().ToList();
    }
}
