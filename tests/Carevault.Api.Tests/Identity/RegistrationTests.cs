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

public sealed class RegistrationTests
{
    const string Password = "a patient's passphrase";

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Register_WhenTheTenantOpensIt_CreatesAPatientWhoCanSignIn(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Clinic", default);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "admin", "administrator passphrase", Roles.Admin, default);
        using var admin = app.CreateClient();
        (await admin.PostAsJsonAsync("/api/auth/login", new { tenant, username = "admin", password = "administrator passphrase" })).EnsureSuccessStatusCode();
        using var patient = app.CreateClient();

        var closed = await patient.PostAsJsonAsync("/api/auth/register", new { tenant, username = "pat", password = Password });
        var opened = await admin.PutAsJsonAsync("/api/admin/settings", new { allowPatientRegistration = true });
        var registered = await patient.PostAsJsonAsync("/api/auth/register", new { tenant, username = "pat", password = Password, email = "pat@example.org" });
        var again = await patient.PostAsJsonAsync("/api/auth/register", new { tenant, username = "pat", password = Password });
        var weak = await patient.PostAsJsonAsync("/api/auth/register", new { tenant, username = "pat2", password = "short" });

        await ProblemAssert.IsProblemAsync(closed, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal("patient", (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "conflict");
        await ProblemAssert.IsProblemAsync(weak, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(HttpStatusCode.OK, (await patient.PostAsJsonAsync("/api/auth/login", new { tenant, username = "pat", password = Password })).StatusCode);
    }

    [Fact]
    public async Task Register_UnknownAndClosedTenants_AnswerAlike()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        await app.Services.GetRequiredService<TenantStore>().CreateAsync("closed-clinic", "Closed", default);
        using var client = app.CreateClient();

        var unknown = await client.PostAsJsonAsync("/api/auth/register", new { tenant = "no-such-clinic", username = "pat", password = Password });
        var closed = await client.PostAsJsonAsync("/api/auth/register", new { tenant = "closed-clinic", username = "pat", password = Password });

        var a = await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.Forbidden, "forbidden");
        var b = await ProblemAssert.IsProblemAsync(closed, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
    }
}
