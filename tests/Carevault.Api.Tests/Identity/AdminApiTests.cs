using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Identity;

public sealed class AdminApiTests
{
    const string Password = "administrator passphrase";

    /// <summary>A tenant with an admin and a doctor, each signed in on their own client.</summary>
    sealed record Tenant(string Id, HttpClient Admin, HttpClient Doctor, string DoctorId);

    static async Task<Tenant> CreateTenantAsync(CarevaultApp app)
    {
        var id = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(id, "Hospital " + id, default);
        var users = app.Services.GetRequiredService<UserStore>();
        await users.CreateAsync(id, "admin", Password, Roles.Admin, default);
        var doctor = await users.CreateAsync(id, "doctor", Password, Roles.Doctor, default);
        return new Tenant(id, await SignedInAsync(app, id, "admin"), await SignedInAsync(app, id, "doctor"), doctor!.Id);
    }

    static async Task<HttpClient> SignedInAsync(CarevaultApp app, string tenant, string username)
    {
        var client = app.CreateClient();
        (await client.PostAsJsonAsync("/api/auth/login", new { tenant, username, password = Password })).EnsureSuccessStatusCode();
        return client;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Admin_CreatesAClient_WhoseSecretGetsAToken_ThenRevokesIt(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await CreateTenantAsync(app);
        using var anonymous = app.CreateClient();

        var created = await tenant.Admin.PostAsJsonAsync("/api/admin/clients", new { name = "LIS", scopes = "system/Observation.cruds", tokenMinutes = 10 });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var hospital = new Hospital(tenant.Id, body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
        var token = await (await hospital.RequestTokenAsync(anonymous)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(600, token.GetProperty("expires_in").GetInt64());
        var listed = await tenant.Admin.GetFromJsonAsync<JsonElement>("/api/admin/clients");
        Assert.Equal("system/Observation.cruds", Assert.Single(listed.EnumerateArray()).GetProperty("scopes").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await tenant.Admin.PostAsync(new Uri($"/api/admin/clients/{hospital.ClientId}/revoke", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hospital.RequestTokenAsync(anonymous)).StatusCode);
    }

    [Fact]
    public async Task Admin_CreatesUsers_AndDisablesThem()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await CreateTenantAsync(app);

        var created = await tenant.Admin.PostAsJsonAsync("/api/admin/users", new { username = "nurse.kim", password = "a long enough passphrase", role = "staff" });
        var duplicate = await tenant.Admin.PostAsJsonAsync("/api/admin/users", new { username = "nurse.kim", password = "a long enough passphrase", role = "staff" });
        var badRole = await tenant.Admin.PostAsJsonAsync("/api/admin/users", new { username = "x", password = "a long enough passphrase", role = "superuser" });
        var disabled = await tenant.Admin.PostAsync(new Uri($"/api/admin/users/{tenant.DoctorId}/disable", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ProblemAssert.IsProblemAsync(duplicate, HttpStatusCode.Conflict, "conflict");
        var problem = await ProblemAssert.IsProblemAsync(badRole, HttpStatusCode.BadRequest, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _));
        Assert.Equal(HttpStatusCode.NoContent, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tenant.Doctor.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task NonAdministrators_AreForbidden_AndHospitalSystemsToo()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await CreateTenantAsync(app);
        var hospital = await Hospital.CreateAsync(app);
        using var system = app.CreateClient();
        var token = await hospital.GetTokenAsync(system);

        var byDoctor = await tenant.Doctor.PostAsJsonAsync("/api/admin/clients", new { name = "x", scopes = "system/*.cruds" });
        using var request = Hospital.Get("/api/admin/clients", token);
        var bySystem = await system.SendAsync(request);
        var tenantByHospitalAdmin = await tenant.Admin.PostAsJsonAsync("/api/admin/tenants", new { id = "new-hospital", name = "New" });

        await ProblemAssert.IsProblemAsync(byDoctor, HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(bySystem, HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(tenantByHospitalAdmin, HttpStatusCode.Forbidden, "forbidden");
    }

    /// <summary>Every admin route that names another tenant's object answers 404 to tenant B, and changes nothing.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task EveryRoute_WithTenantBsCredentials_OnTenantAsData_Returns404(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var a = await CreateTenantAsync(app);
        var b = await CreateTenantAsync(app);
        var aClient = await (await a.Admin.PostAsJsonAsync("/api/admin/clients", new { name = "LIS", scopes = "system/*.cruds" })).Content.ReadFromJsonAsync<JsonElement>();
        var aClientId = aClient.GetProperty("clientId").GetString();

        string[] routes = [$"/api/admin/clients/{aClientId}/rotate-secret", $"/api/admin/clients/{aClientId}/revoke", $"/api/admin/users/{a.DoctorId}/disable", $"/api/admin/users/{a.DoctorId}/enable"];
        foreach (var route in routes)
            await ProblemAssert.IsProblemAsync(await b.Admin.PostAsync(new Uri(route, UriKind.Relative), null), HttpStatusCode.NotFound, "not-found");

        Assert.Empty((await b.Admin.GetFromJsonAsync<JsonElement>("/api/admin/clients")).EnumerateArray());
        Assert.Equal(a.Id, (await a.Doctor.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("tenant").GetString());
        Assert.Equal(HttpStatusCode.OK, (await new Hospital(a.Id, aClientId!, aClient.GetProperty("clientSecret").GetString()!).RequestTokenAsync(app.CreateClient())).StatusCode);
    }

    [Fact]
    public async Task Operator_CreatesATenant()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        await app.Services.GetRequiredService<UserStore>().CreateAsync("system", "operator", Password, Roles.Admin, default);
        using var op = await SignedInAsync(app, "system", "operator");

        var created = await op.PostAsJsonAsync("/api/admin/tenants", new { id = "st-marys", name = "St Mary's" });
        var again = await op.PostAsJsonAsync("/api/admin/tenants", new { id = "st-marys", name = "St Mary's" });
        var invalid = await op.PostAsJsonAsync("/api/admin/tenants", new { id = "Not Valid!", name = "x" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "conflict");
        await ProblemAssert.IsProblemAsync(invalid, HttpStatusCode.BadRequest, "validation-failed");
    }
}
