using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Identity;

public sealed class PasswordResetTests
{
    const string Password = "correct horse battery staple";
    const string NewPassword = "a brand new passphrase";

    static async Task<(string Tenant, User User)> CreateUserAsync(CarevaultApp app, string? email = "ada@example.org", string username = "dr.ada")
    {
        var tenant = await Mail.CreateTenantAsync(app);
        var user = await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, username, Password, Roles.Doctor, email, default);
        return (tenant, user!);
    }

    static Task<HttpResponseMessage> RequestResetAsync(HttpClient client, string tenant, string username) =>
        client.PostAsJsonAsync("/api/auth/password-reset", new { tenant, username });

    static Task<HttpResponseMessage> ConfirmAsync(HttpClient client, string token, string newPassword) =>
        client.PostAsJsonAsync("/api/auth/password-reset/confirm", new { token, newPassword });

    static Task<HttpResponseMessage> SignInAsync(HttpClient client, string tenant, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { tenant, username = "dr.ada", password });

    static async Task<string> ReceiveResetTokenAsync(CarevaultApp app, string recipient)
    {
        var eml = await Mail.WaitForEmlAsync(app, m => m.Headers["To"] == recipient && m.Headers["Subject"] == "Reset your Carevault password");
        return Mail.ResetToken(eml.Body);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Confirm_WithTheEmailedToken_SetsThePassword_EndsSessions_AndSpendsTheToken(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings());
        using var client = app.CreateClient();
        var (tenant, user) = await CreateUserAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, tenant, Password)).StatusCode);

        var requested = await RequestResetAsync(client, tenant, "dr.ada");
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        var token = await ReceiveResetTokenAsync(app, "ada@example.org");
        Assert.Equal(43, token.Length); // 256 bits, base64url

        var confirmed = await ConfirmAsync(app.CreateClient(), token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, confirmed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode); // session ended
        using var fresh = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(fresh, tenant, Password)).StatusCode);
        var signedIn = await SignInAsync(fresh, tenant, NewPassword);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal(user.Id, (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString());
        await ProblemAssert.IsProblemAsync(await ConfirmAsync(fresh, token, "yet another passphrase"), HttpStatusCode.BadRequest, "bad-request");
        var notice = await Mail.WaitForEmlAsync(app, m => m.Headers["Subject"] == "Your Carevault password was changed");
        Assert.Equal("ada@example.org", notice.Headers["To"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Request_ForUnknownUser_UnknownTenant_OtherTenant_DisabledUser_OrNoEmail_AnswersTheSame_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings(pollSeconds: 3600));
        using var client = app.CreateClient();
        var (tenantA, _) = await CreateUserAsync(app);
        var (tenantB, _) = await CreateUserAsync(app, email: null, username: "dr.bob");
        var (tenantC, disabled) = await CreateUserAsync(app, email: "carl@example.org", username: "dr.carl");
        await app.Services.GetRequiredService<UserStore>().SetActiveAsync(tenantC, disabled.Id, active: false, default);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var existing = await RequestResetAsync(client, tenantA, "dr.ada");
        Assert.True(watch.Elapsed >= PasswordResetOptions.MinimumRequestTime, "A request answers no sooner than the floor.");
        watch.Restart();
        var unknown = await RequestResetAsync(client, tenantA, "dr.nobody");
        Assert.True(watch.Elapsed >= PasswordResetOptions.MinimumRequestTime, "A request answers no sooner than the floor.");
        var others = new[]
        {
            unknown,
            await RequestResetAsync(client, "no-such-tenant", "dr.ada"),
            await RequestResetAsync(client, tenantB, "dr.ada"), // dr.ada exists, but in tenant A
            await RequestResetAsync(client, tenantB, "dr.bob"), // no email address
            await RequestResetAsync(client, tenantC, "dr.carl"), // disabled
        };

        var expected = await existing.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Accepted, existing.StatusCode);
        foreach (var response in others)
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        }
        var queued = Assert.Single(await Mail.RowsAsync(app, tenantA));
        Assert.Equal("password-reset", queued.Kind);
        Assert.Equal("ada@example.org", queued.Recipient);
        Assert.Empty(await Mail.RowsAsync(app, tenantB));
        Assert.Empty(await Mail.RowsAsync(app, tenantC));
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM password_reset_tokens"));
    }

    [Fact]
    public async Task Token_IsStoredOnlyAsItsSha256_AndNeverLogged()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings());
        using var client = app.CreateClient();
        var (tenant, user) = await CreateUserAsync(app);

        await RequestResetAsync(client, tenant, "dr.ada");
        var token = await ReceiveResetTokenAsync(app, "ada@example.org");

        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default);
        var stored = Assert.Single(await connection.QueryAsync<(string Hash, string UserId, string TenantId)>(
            "SELECT token_hash, user_id, tenant_id FROM password_reset_tokens"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))), stored.Hash);
        Assert.Equal(user.Id, stored.UserId);
        Assert.Equal(tenant, stored.TenantId);
        var outboxBody = Assert.Single(await Mail.RowsAsync(app, tenant)).Body;
        Assert.DoesNotContain(token, Encoding.UTF8.GetString(outboxBody), StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Text.Contains(token, StringComparison.Ordinal) || l.Text.Contains("ada@example.org", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Confirm_ExpiredUnknownOrMalformedToken_AllGetTheSameProblem(DatabaseProvider provider)
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings(), clock);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);
        await RequestResetAsync(client, tenant, "dr.ada");
        var token = await ReceiveResetTokenAsync(app, "ada@example.org");

        clock.Advance(TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(1));

        var details = new List<string>();
        foreach (var attempt in new[] { token, "A" + token[1..], "not-a-token", new string('x', 500) })
        {
            var problem = await ProblemAssert.IsProblemAsync(await ConfirmAsync(client, attempt, NewPassword), HttpStatusCode.BadRequest, "bad-request");
            details.Add(problem.GetProperty("detail").GetString()!);
        }
        Assert.Single(details.Distinct());
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, tenant, Password)).StatusCode); // nothing changed
    }

    [Fact]
    public async Task Confirm_WithinAConfiguredShorterLifetime_Works_AfterIt_DoesNot()
    {
        var clock = new TestClock();
        var settings = Mail.Settings();
        settings["PasswordReset:TokenLifetimeMinutes"] = "10";
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, settings, clock);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);
        await RequestResetAsync(client, tenant, "dr.ada");
        var first = await ReceiveResetTokenAsync(app, "ada@example.org");
        clock.Advance(TimeSpan.FromMinutes(11));
        await RequestResetAsync(client, tenant, "dr.ada");
        var second = await Mail.WaitForEmlAsync(app, m => m.Headers["Subject"] == "Reset your Carevault password" && !m.Body.Contains(first, StringComparison.Ordinal));
        clock.Advance(TimeSpan.FromMinutes(9));

        await ProblemAssert.IsProblemAsync(await ConfirmAsync(client, first, NewPassword), HttpStatusCode.BadRequest, "bad-request");
        Assert.Equal(HttpStatusCode.NoContent, (await ConfirmAsync(client, Mail.ResetToken(second.Body), NewPassword)).StatusCode);
        Assert.Contains("within 10 minutes", second.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirm_WithAWeakPassword_IsAValidationProblem_AndTheTokenStillWorks()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings());
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);
        await RequestResetAsync(client, tenant, "dr.ada");
        var token = await ReceiveResetTokenAsync(app, "ada@example.org");

        var weak = await ConfirmAsync(client, token, "short");

        var problem = await ProblemAssert.IsProblemAsync(weak, HttpStatusCode.BadRequest, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("newPassword", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await ConfirmAsync(client, token, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task Confirm_ClearsTheLockout_AndSpendsOtherOpenLinks()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings(), clock);
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);
        for (var i = 0; i < Lockout.FreeAttempts + 3; i++) await SignInAsync(client, tenant, "wrong password " + i);
        await RequestResetAsync(client, tenant, "dr.ada");
        var first = await ReceiveResetTokenAsync(app, "ada@example.org");
        clock.Advance(TimeSpan.FromSeconds(1));
        await RequestResetAsync(client, tenant, "dr.ada");
        await Mail.WaitForRowAsync(app, tenant, r => r.SentAt is not null && r.CreatedAt == clock.GetUtcNow().ToUnixTimeMilliseconds());
        var second = Mail.ResetToken(Mail.Emls(app).Single(m => !m.Body.Contains(first, StringComparison.Ordinal) && m.Headers["Subject"].StartsWith("Reset", StringComparison.Ordinal)).Body);

        Assert.Equal(HttpStatusCode.NoContent, (await ConfirmAsync(client, second, NewPassword)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, tenant, NewPassword)).StatusCode); // not locked any more
        await ProblemAssert.IsProblemAsync(await ConfirmAsync(client, first, "yet another passphrase"), HttpStatusCode.BadRequest, "bad-request");
    }

    [Fact]
    public async Task Request_RepeatedMoreThanTheLimit_QueuesNoMoreMail()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings(pollSeconds: 3600));
        using var client = app.CreateClient();
        var (tenant, _) = await CreateUserAsync(app);

        for (var i = 0; i < PasswordResetOptions.MaxOutstandingTokens + 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await RequestResetAsync(client, tenant, "dr.ada")).StatusCode);

        Assert.Equal(PasswordResetOptions.MaxOutstandingTokens, (await Mail.RowsAsync(app, tenant)).Count);
    }

    [Fact]
    public async Task Request_WithoutTenantOrUsername_IsABadRequest()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings());
        using var client = app.CreateClient();

        await ProblemAssert.IsProblemAsync(await RequestResetAsync(client, "", "dr.ada"), HttpStatusCode.BadRequest, "bad-request");
        await ProblemAssert.IsProblemAsync(await RequestResetAsync(client, "h-1", ""), HttpStatusCode.BadRequest, "bad-request");
    }
}
