using System.Net;
using System.Text.Json;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Identity.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// A tenant for access tests, built through the real services: a hospital client (system/*.cruds), Patients P1 and P2,
/// Practitioners D1 and D2, and people — a patient linked to P1, doctors linked to D1 and D2, staff, an auditor, an
/// administrator — each with a user token (user/*.cruds unless asked otherwise).
/// </summary>
public sealed class AccessWorld
{
    public const string Password = "access matrix passphrase";

    AccessWorld(FhirServer server, string tenantId, string hospitalToken) => (Server, TenantId, HospitalToken) = (server, tenantId, hospitalToken);

    public FhirServer Server { get; }
    public string TenantId { get; }
    public string HospitalToken { get; }
    public string P1 { get; private set; } = "";
    public string P2 { get; private set; } = "";
    public string D1 { get; private set; } = "";
    public string D2 { get; private set; } = "";
    public Dictionary<string, User> People { get; } = new(StringComparer.Ordinal);

    public static async Task<AccessWorld> CreateAsync(FhirServer server)
    {
        var token = await server.NewTenantTokenAsync();
        var me = await FhirAssert.JsonAsync(await server.Client.SendAsync(Get("/api/me", token)), HttpStatusCode.OK);
        var world = new AccessWorld(server, me.GetProperty("tenant").GetString()!, token);
        world.P1 = await world.CreateAsync("""{"resourceType":"Patient","name":[{"family":"One"}]}""");
        world.P2 = await world.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Two"}]}""");
        world.D1 = await world.CreateAsync("""{"resourceType":"Practitioner","name":[{"family":"Doctor One"}]}""");
        world.D2 = await world.CreateAsync("""{"resourceType":"Practitioner","name":[{"family":"Doctor Two"}]}""");
        var users = server.Services.GetRequiredService<UserStore>();
        foreach (var (name, role, fhirUser) in new (string, string, string?)[]
        {
            ("patient1", Roles.Patient, "Patient/" + world.P1), ("doctor1", Roles.Doctor, "Practitioner/" + world.D1), ("doctor2", Roles.Doctor, "Practitioner/" + world.D2),
            ("staff", Roles.Staff, null), ("auditor", Roles.Auditor, null), ("admin", Roles.Admin, null),
        })
        {
            world.People[name] = (await users.CreateAsync(world.TenantId, name, Password, role, email: null, fhirUser, default))!;
        }
        return world;
    }

    /// <summary>A user token as the authorization_code flow issues it (same issuer, signature and claims).</summary>
    public async Task<string> TokenAsync(string person, string scopes = "user/*.cruds")
    {
        var user = People[person];
        Assert.True(ScopeSet.TryParse(scopes, out var granted));
        var issued = await Server.Services.GetRequiredService<AccessTokens>().IssueForUserAsync(TenantId, user.Id, user.Role, user.FhirUser, "test-app", granted, TimeSpan.FromMinutes(5), default);
        return issued.AccessToken;
    }

    /// <summary>Creates a resource with the hospital's token; returns its id.</summary>
    public async Task<string> CreateAsync(string json)
    {
        var created = await FhirAssert.JsonAsync(await Server.SendAsync(HttpMethod.Post, "/fhir/" + JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString(), HospitalToken, json), HttpStatusCode.Created);
        return created.GetProperty("id").GetString()!;
    }

    public static string Observation(string round, string patient, string practitioner, string? id = null, string status = "final") =>
        $$"""{"resourceType":"Observation",{{(id is null ? "" : $"\"id\":\"{id}\",")}}"status":"{{status}}","code":{"coding":[{"system":"urn:test:round","code":"{{round}}"}]},"subject":{"reference":"Patient/{{patient}}"},"performer":[{"reference":"Practitioner/{{practitioner}}"}]}""";

    public static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>The ids of a searchset's match entries, sorted.</summary>
    public static async Task<List<string>> IdsAsync(HttpResponseMessage response)
    {
        var bundle = await FhirAssert.JsonAsync(response, HttpStatusCode.OK);
        if (!bundle.TryGetProperty("entry", out var entries)) return [];
        return entries.EnumerateArray().Where(e => e.GetProperty("search").GetProperty("mode").GetString() == "match")
            .Select(e => e.GetProperty("resource").GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
    }
}
