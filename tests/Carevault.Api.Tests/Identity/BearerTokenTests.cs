using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Clients;
using Carevault.Identity.Tokens;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Carevault.Api.Tests.Identity;

/// <summary>Tokens presented to protected routes: each forged, stale or foreign one gets the same bare 401.</summary>
public sealed class BearerTokenTests
{
    [Fact]
    public async Task NoToken_Returns401ProblemWithBearerChallenge()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/api/me", UriKind.Relative));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task ExpiredToken_Returns401()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, clock: clock);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var token = await hospital.GetTokenAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", token))).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(31));

        await AssertRejectedAsync(client, token);
    }

    [Fact]
    public async Task UnsignedTokenWithAlgNone_Returns401()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var real = new JsonWebToken(await hospital.GetTokenAsync(client));
        var header = Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"at+jwt","kid":"{{real.Kid}}"}""");

        await AssertRejectedAsync(client, $"{header}.{real.EncodedPayload}.");
    }

    [Fact]
    public async Task TokenSignedByAnUnknownKey_Returns401()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var real = new JsonWebToken(await hospital.GetTokenAsync(client));
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var forged = Sign(real, new ECDsaSecurityKey(attacker) { KeyId = real.Kid });
        var forgedOtherKid = Sign(real, new ECDsaSecurityKey(attacker) { KeyId = "attacker-key" });

        await AssertRejectedAsync(client, forged);
        await AssertRejectedAsync(client, forgedOtherKid);
    }

    [Theory]
    [InlineData("iss", "https://other-carevault.example")]
    [InlineData("aud", "https://other-carevault.example/fhir")]
    public async Task TokenForAnotherIssuerOrAudience_Returns401EvenWhenSignedByOurKey(string claim, string value)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var real = new JsonWebToken(await hospital.GetTokenAsync(client));
        var key = await app.Services.GetRequiredService<SigningKeyRing>().CurrentAsync(default);

        await AssertRejectedAsync(client, Sign(real, key.Key, (claim, value)));
    }

    [Fact]
    public async Task TamperedPayload_Returns401()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var real = await hospital.GetTokenAsync(client);
        var parts = real.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        payload["tenant"] = JsonSerializer.SerializeToElement("another-hospital");

        await AssertRejectedAsync(client, $"{parts[0]}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload))}.{parts[2]}");
    }

    [Fact]
    public async Task RotatedSigningKey_OldTokensWorkUntilTheyExpire_NewTokensUseTheNewKey()
    {
        var clock = new TestClock();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, clock: clock);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var before = await hospital.GetTokenAsync(client);

        var newKid = await app.Services.GetRequiredService<SigningKeyRing>().RotateAsync(2 * ClientStore.MaxTokenLifetime, default);
        var after = await hospital.GetTokenAsync(client);

        Assert.Equal(newKid, new JsonWebToken(after).Kid);
        Assert.NotEqual(newKid, new JsonWebToken(before).Kid);
        var jwks = await client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        Assert.Equal(2, jwks.GetProperty("keys").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", before))).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(31));

        await AssertRejectedAsync(client, before);
    }

    [Fact]
    public async Task ATokenAlreadyValidated_IsRefused_OnceItsSigningKeyNoLongerVerifies()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var token = await hospital.GetTokenAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", token))).StatusCode);

        // A rotation without grace: tokens signed with the old key stop working at once.
        await app.Services.GetRequiredService<SigningKeyRing>().RotateAsync(TimeSpan.Zero, default);

        await AssertRejectedAsync(client, token);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", await hospital.GetTokenAsync(client)))).StatusCode);
    }

    [Fact]
    public async Task RotatedClientSecret_OldSecretStopsWorking()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);

        var rotated = await app.Services.GetRequiredService<ClientStore>().RotateSecretAsync(hospital.TenantId, hospital.ClientId, default);

        Assert.Equal(HttpStatusCode.Unauthorized, (await hospital.RequestTokenAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (hospital with { Secret = rotated!.Secret }).RequestTokenAsync(client)).StatusCode);
    }

    [Fact]
    public async Task RotateSecret_OfAnotherTenantsClient_ChangesNothing()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospitalA = await Hospital.CreateAsync(app);
        var hospitalB = await Hospital.CreateAsync(app);
        var clients = app.Services.GetRequiredService<ClientStore>();

        Assert.Null(await clients.RotateSecretAsync(hospitalB.TenantId, hospitalA.ClientId, default));
        Assert.False(await clients.RevokeAsync(hospitalB.TenantId, hospitalA.ClientId, default));
        Assert.DoesNotContain(await clients.ListAsync(hospitalB.TenantId, default), c => c.Id == hospitalA.ClientId);
        Assert.Equal(HttpStatusCode.OK, (await hospitalA.RequestTokenAsync(client)).StatusCode);
    }

    static string Sign(JsonWebToken template, SecurityKey key, params (string Claim, string Value)[] overrides)
    {
        var payload = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.Decode(template.EncodedPayload))!;
        foreach (var (claim, value) in overrides) payload[claim] = value;
        return new JsonWebTokenHandler().CreateToken(JsonSerializer.Serialize(payload), new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256));
    }

    static async Task AssertRejectedAsync(HttpClient client, string token)
    {
        var response = await client.SendAsync(Hospital.Get("/api/me", token));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }
}
