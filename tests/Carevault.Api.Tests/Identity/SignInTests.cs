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

public sealed class SignInTests
{
    const string Password = "correct horse battery staple";

    static async Task<(string Tenant, User User)> CreateUserAsync(CarevaultApp app, string role = Roles.Doctor)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var user = await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "dr.ada", Password, role, default);
        return (tenant, user!);
    }

    static Task<HttpResponseMessage> SignInAsync(HttpClient client, string tenant, string username, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { tenant, username, password });

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SignIn_WithRightPassword_SetsAStrictHttpOnlyCookieThatAuthenticates(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var client = app.CreateClient();
        var (tenant, user) = await CreateUserAsync(app);

        var response = await SignInAsync(client, tenant, "dr.ada", Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("cv_session=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me"); // the test client keeps cookies
        Assert.Equal(user.Id, me.GetProperty("subject").GetString());
        Assert.Equal(tenant, me.GetProperty("tenant").GetString());
        Assert.Equal("user", me.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task SignIn_WrongPassword_UnknownUser_UnknownTenant_AllLookTheSame()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);

        var answers = new[]
        {
            await SignInAsync(client, tenant, "dr.ada", Password + "!"),
            await SignInAsync(client, tenant, "dr.nobody", Password),
            await SignInAsync(client, "no-such-tenant", "dr.ada", Password),
        };

        var bodies = new List<string>();
        foreach (var response in answers)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
            bodies.Add(problem.GetProperty("detail").GetString()!);
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }
        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task SignIn_AfterRepeatedFailures_LocksEvenTheRightPasswordOut_UntilTheDelayPasses()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, clock: clock);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);

        for (var i = 0; i < Lockout.FreeAttempts + 1; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(client, tenant, "dr.ada", "wrong password " + i)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(client, tenant, "dr.ada", Password)).StatusCode);
        clock.Advance(Lockout.DelayAfter(Lockout.FreeAttempts + 1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, tenant, "dr.ada", Password)).StatusCode);
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(5, 30)]
    [InlineData(6, 60)]
    [InlineData(9, 480)]
    [InlineData(40, 3600)]
    public void Lockout_DelayGrowsAndIsCapped(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Lockout.DelayAfter(failures));

    [Fact]
    public async Task SignOut_EndsTheSession()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);
        var cookie = (await SignInAsync(client, tenant, "dr.ada", Password)).Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync(new Uri("/api/auth/logout", UriKind.Relative), null)).StatusCode);

        using var replay = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        replay.Headers.Add("Cookie", cookie);
        using var fresh = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.SendAsync(replay)).StatusCode);
    }

    [Fact]
    public async Task DisabledUser_LosesTheSessionAndCannotSignIn()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var (tenant, user) = await CreateUserAsync(app);
        await SignInAsync(client, tenant, "dr.ada", Password);

        await app.Services.GetRequiredService<UserStore>().SetActiveAsync(tenant, user.Id, active: false, default);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(client, tenant, "dr.ada", Password)).StatusCode);
    }

    [Fact]
    public async Task ChangePassword_RequiresTheCurrentOne_EnforcesPolicy_AndTheNewOneWorks()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);
        await SignInAsync(client, tenant, "dr.ada", Password);

        var wrongCurrent = await client.PostAsJsonAsync("/api/auth/password", new { currentPassword = "nope nope nope", newPassword = "a brand new passphrase" });
        var tooShort = await client.PostAsJsonAsync("/api/auth/password", new { currentPassword = Password, newPassword = "short" });
        var ok = await client.PostAsJsonAsync("/api/auth/password", new { currentPassword = Password, newPassword = "a brand new passphrase" });

        await ProblemAssert.IsProblemAsync(wrongCurrent, HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(tooShort, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        using var other = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(other, tenant, "dr.ada", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(other, tenant, "dr.ada", "a brand new passphrase")).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("aaaaaaaaaaaaaaaa")]
    public void PasswordPolicy_RejectsWeakPasswords(string password) =>
        Assert.NotNull(PasswordPolicy.Check(password, "dr.ada"));
}
