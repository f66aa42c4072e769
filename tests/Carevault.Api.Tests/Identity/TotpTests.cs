using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Identity;

public sealed class TotpTests
{
    const string Password = "correct horse battery staple";

    // RFC 6238 Appendix B: the seeds are the ASCII digits "1234567890" repeated to the hash's block of key bytes.
    static byte[] Seed(TotpAlgorithm algorithm) => Encoding.ASCII.GetBytes(algorithm switch
    {
        TotpAlgorithm.Sha1 => "12345678901234567890",
        TotpAlgorithm.Sha256 => "12345678901234567890123456789012",
        _ => "1234567890123456789012345678901234567890123456789012345678901234",
    });

    [Theory]
    [InlineData(59L, TotpAlgorithm.Sha1, "94287082")]
    [InlineData(59L, TotpAlgorithm.Sha256, "46119246")]
    [InlineData(59L, TotpAlgorithm.Sha512, "90693936")]
    [InlineData(1111111109L, TotpAlgorithm.Sha1, "07081804")]
    [InlineData(1111111109L, TotpAlgorithm.Sha256, "68084774")]
    [InlineData(1111111109L, TotpAlgorithm.Sha512, "25091201")]
    [InlineData(1111111111L, TotpAlgorithm.Sha1, "14050471")]
    [InlineData(1111111111L, TotpAlgorithm.Sha256, "67062674")]
    [InlineData(1111111111L, TotpAlgorithm.Sha512, "99943326")]
    [InlineData(1234567890L, TotpAlgorithm.Sha1, "89005924")]
    [InlineData(1234567890L, TotpAlgorithm.Sha256, "91819424")]
    [InlineData(1234567890L, TotpAlgorithm.Sha512, "93441116")]
    [InlineData(2000000000L, TotpAlgorithm.Sha1, "69279037")]
    [InlineData(2000000000L, TotpAlgorithm.Sha256, "90698825")]
    [InlineData(2000000000L, TotpAlgorithm.Sha512, "38618901")]
    [InlineData(20000000000L, TotpAlgorithm.Sha1, "65353130")]
    [InlineData(20000000000L, TotpAlgorithm.Sha256, "77737706")]
    [InlineData(20000000000L, TotpAlgorithm.Sha512, "47863826")]
    public void Generate_Rfc6238AppendixBVectors_MatchTheRfc(long unixSeconds, TotpAlgorithm algorithm, string expected)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);

        var code = Totp.Generate(Seed(algorithm), Totp.StepAt(time), digits: 8, algorithm);

        Assert.Equal(expected, code);
        Assert.Equal(Totp.StepAt(time), Totp.Verify(Seed(algorithm), expected, time, lastUsedStep: 0, digits: 8, algorithm: algorithm));
    }

    [Theory]
    [InlineData(59L, 0x1L)] // RFC 6238 Appendix B's T column
    [InlineData(1111111109L, 0x23523ECL)]
    [InlineData(20000000000L, 0x27BC86AAL)]
    public void StepAt_MatchesTheRfcTimeSteps(long unixSeconds, long step) =>
        Assert.Equal(step, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixSeconds)));

    [Theory]
    [InlineData(-30, true)]
    [InlineData(0, true)]
    [InlineData(30, true)]
    [InlineData(-60, false)]
    [InlineData(60, false)]
    public void Verify_AcceptsOneStepOfDriftEitherSide_AndNoMore(int offsetSeconds, bool accepted)
    {
        var secret = Seed(TotpAlgorithm.Sha1);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_010);
        var code = Totp.Generate(secret, Totp.StepAt(now.AddSeconds(offsetSeconds)));

        Assert.Equal(accepted, Totp.Verify(secret, code, now, lastUsedStep: 0) is not null);
    }

    [Fact]
    public void Verify_ACodeAlreadyUsed_OrAnOlderOne_IsRejected()
    {
        var secret = Seed(TotpAlgorithm.Sha1);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_010);
        var current = Totp.Generate(secret, Totp.StepAt(now));
        var previous = Totp.Generate(secret, Totp.StepAt(now) - 1);

        var used = Totp.Verify(secret, current, now, lastUsedStep: 0);

        Assert.Equal(Totp.StepAt(now), used);
        Assert.Null(Totp.Verify(secret, current, now, used!.Value));
        Assert.Null(Totp.Verify(secret, previous, now, used.Value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData("١٢٣٤٥٦")] // Arabic-Indic digits are not ASCII digits
    public void Verify_MalformedCodes_AreRejected(string code) =>
        Assert.Null(Totp.Verify(Seed(TotpAlgorithm.Sha1), code, DateTimeOffset.UtcNow, 0));

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Base32_Rfc4648Vectors_RoundTrip(string text, string base32)
    {
        Assert.Equal(base32, Base32.Encode(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(text, Encoding.ASCII.GetString(Base32.Decode(base32.ToLowerInvariant())!));
    }

    static async Task<(string Tenant, User User, HttpClient Client)> SignedInUserAsync(CarevaultApp app)
    {
        var tenant = await Mail.CreateTenantAsync(app);
        var user = await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "dr.ada", Password, Roles.Doctor, default);
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, tenant, Password, null)).StatusCode);
        return (tenant, user!, client);
    }

    static Task<HttpResponseMessage> SignInAsync(HttpClient client, string tenant, string password, string? totp) =>
        client.PostAsJsonAsync("/api/auth/login", new { tenant, username = "dr.ada", password, totp });

    static async Task<byte[]> EnrolAsync(HttpClient client, TestClock clock)
    {
        var setup = await client.PostAsync(new Uri("/api/auth/totp/setup", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var secret = Base32.Decode((await setup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!)!;
        var confirm = await client.PostAsJsonAsync("/api/auth/totp/confirm", new { code = Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())) });
        Assert.Equal(HttpStatusCode.NoContent, confirm.StatusCode);
        return secret;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Setup_ReturnsASecretAndOtpauthUri_SealedAtRest_AndPendingUntilConfirmed(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, user, client) = await SignedInUserAsync(app);

        var setup = await client.PostAsync(new Uri("/api/auth/totp/setup", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var body = await setup.Content.ReadFromJsonAsync<JsonElement>();
        var secretText = body.GetProperty("secret").GetString()!;
        var secret = Base32.Decode(secretText)!;
        Assert.Equal(20, secret.Length);
        Assert.Equal($"otpauth://totp/Carevault%3Adr.ada%40{tenant}?secret={secretText}&issuer=Carevault&algorithm=SHA1&digits=6&period=30",
            body.GetProperty("otpauthUri").GetString());
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default);
        var row = await connection.QuerySingleAsync<(byte[]? Secret, byte[] Pending)>(
            "SELECT totp_secret, totp_pending_secret FROM users WHERE id = @Id", new { user.Id });
        Assert.Null(row.Secret); // pending: sign-in does not need a code yet
        Assert.Equal(-1, row.Pending.AsSpan().IndexOf(secret));
        Assert.Equal(secret, await app.Services.GetRequiredService<MasterKeys>().UnsealAsync(row.Pending, default));
        using var other = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(other, tenant, Password, null)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SignIn_WhenTotpIsEnabled_NeedsACurrentUnusedCode_AndAnswersFailuresLikeAWrongPassword(DatabaseProvider provider)
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(provider, clock: clock);
        var (tenant, user, client) = await SignedInUserAsync(app);
        var secret = await EnrolAsync(client, clock);
        clock.Advance(TimeSpan.FromSeconds(30)); // the confirming code is spent
        using var other = app.CreateClient();
        var code = Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow()));

        var failures = new[]
        {
            await SignInAsync(other, tenant, Password, null),
            await SignInAsync(other, tenant, Password, code == "123456" ? "654321" : "123456"),
            await SignInAsync(other, tenant, "wrong password here", code),
        };
        var ok = await SignInAsync(other, tenant, Password, code);
        var replay = await SignInAsync(app.CreateClient(), tenant, Password, code);

        var wrongPasswordDetail = (await ProblemAssert.IsProblemAsync(failures[2], HttpStatusCode.Unauthorized, "unauthorized")).GetProperty("detail").GetString();
        foreach (var failure in failures[..2])
            Assert.Equal(wrongPasswordDetail, (await ProblemAssert.IsProblemAsync(failure, HttpStatusCode.Unauthorized, "unauthorized")).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(user.Id, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString());
        Assert.Equal(wrongPasswordDetail, (await ProblemAssert.IsProblemAsync(replay, HttpStatusCode.Unauthorized, "unauthorized")).GetProperty("detail").GetString());
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(app.CreateClient(), tenant, Password, Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())))).StatusCode);
    }

    [Fact]
    public async Task SignIn_WrongTotpCodes_CountTowardsTheLockout()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, clock: clock);
        var (tenant, _, client) = await SignedInUserAsync(app);
        var secret = await EnrolAsync(client, clock);
        clock.Advance(TimeSpan.FromSeconds(30));
        using var other = app.CreateClient();

        for (var i = 0; i < Lockout.FreeAttempts + 1; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(other, tenant, Password, "00000" + i)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(other, tenant, Password, Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())))).StatusCode);
        clock.Advance(Lockout.DelayAfter(Lockout.FreeAttempts + 1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(other, tenant, Password, Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())))).StatusCode);
    }

    [Fact]
    public async Task Confirm_WithAWrongCode_IsAValidationProblem_AndLeavesTheFactorOff()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var (tenant, _, client) = await SignedInUserAsync(app);
        await client.PostAsync(new Uri("/api/auth/totp/setup", UriKind.Relative), null);

        var wrong = await client.PostAsJsonAsync("/api/auth/totp/confirm", new { code = "000000" });
        var missing = await client.PostAsJsonAsync("/api/auth/totp/confirm", new { code = "" });

        await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(app.CreateClient(), tenant, Password, null)).StatusCode);
    }

    [Fact]
    public async Task Setup_WhenAlreadyEnabled_IsAConflict_SoASessionCannotSwapTheFactor()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, clock: clock);
        var (_, _, client) = await SignedInUserAsync(app);
        await EnrolAsync(client, clock);

        await ProblemAssert.IsProblemAsync(await client.PostAsync(new Uri("/api/auth/totp/setup", UriKind.Relative), null), HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task SetupAndConfirm_WithoutASession_Are401()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(new Uri("/api/auth/totp/setup", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/totp/confirm", new { code = "123456" })).StatusCode);
    }

    [Fact]
    public async Task Confirm_AppliesToTheCallersOwnAccountOnly()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, clock: clock);
        var (tenantA, _, clientA) = await SignedInUserAsync(app);
        var (tenantB, _, clientB) = await SignedInUserAsync(app); // same username, another tenant
        var setup = await clientA.PostAsync(new Uri("/api/auth/totp/setup", UriKind.Relative), null);
        var secretA = Base32.Decode((await setup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!)!;

        var crossTenant = await clientB.PostAsJsonAsync("/api/auth/totp/confirm", new { code = Totp.Generate(secretA, Totp.StepAt(clock.GetUtcNow())) });

        await ProblemAssert.IsProblemAsync(crossTenant, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(app.CreateClient(), tenantB, Password, null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(app.CreateClient(), tenantA, Password, null)).StatusCode);
    }

    [Fact]
    public async Task PasswordReset_DoesNotRemoveTheSecondFactor()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings(), clock);
        var tenant = await Mail.CreateTenantAsync(app);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "dr.ada", Password, Roles.Doctor, "ada@example.org", default);
        var client = app.CreateClient();
        await SignInAsync(client, tenant, Password, null);
        var secret = await EnrolAsync(client, clock);
        await client.PostAsJsonAsync("/api/auth/password-reset", new { tenant, username = "dr.ada" });
        var eml = await Mail.WaitForEmlAsync(app, m => m.Headers["Subject"] == "Reset your Carevault password");
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PostAsJsonAsync("/api/auth/password-reset/confirm", new { token = Mail.ResetToken(eml.Body), newPassword = "a brand new passphrase" })).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(app.CreateClient(), tenant, "a brand new passphrase", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await SignInAsync(app.CreateClient(), tenant, "a brand new passphrase", Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())))).StatusCode);
    }
}
