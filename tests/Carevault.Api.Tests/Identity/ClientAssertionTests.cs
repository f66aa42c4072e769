using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Carevault.Api.Tests.Identity;

/// <summary>SMART Backend Services: a hospital system authenticates with a JWT signed by its own key (RFC 7523).</summary>
public sealed class ClientAssertionTests
{
    const string TokenEndpoint = "http://127.0.0.1:8080/oauth/token"; // PublicUrl defaults to the first of Urls

    static readonly JsonSerializerOptions SkipNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    sealed record KeyClient(string ClientId, SecurityKey PrivateKey, string Algorithm);

    static async Task<KeyClient> RegisterAsync(CarevaultApp app, bool elliptic = false)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        SecurityKey privateKey, publicKey;
        if (elliptic)
        {
            var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            privateKey = new ECDsaSecurityKey(ecdsa) { KeyId = "ec-1" };
            publicKey = new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(false))) { KeyId = "ec-1" };
        }
        else
        {
            var rsa = RSA.Create(2048);
            privateKey = new RsaSecurityKey(rsa) { KeyId = "rsa-1" };
            publicKey = new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "rsa-1" };
        }
        var jwk = JsonWebKeyConverter.ConvertFromSecurityKey(publicKey);
        var jwks = JsonSerializer.Serialize(new { keys = new[] { JsonSerializer.Deserialize<JsonElement>(JsonSerializer.Serialize(jwk, SkipNulls)) } });
        Assert.True(ScopeSet.TryParse("system/Observation.rs", out var scopes));
        var client = await app.Services.GetRequiredService<ClientStore>().CreateWithKeysAsync(tenant, "Backend", scopes, null, jwks, default);
        return new KeyClient(client.Id, privateKey, elliptic ? SecurityAlgorithms.EcdsaSha384 : SecurityAlgorithms.RsaSha384);
    }

    static string Assertion(KeyClient client, string? audience = null, TimeSpan? lifetime = null, SecurityKey? key = null, string? jti = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = client.ClientId,
            Audience = audience ?? TokenEndpoint,
            Expires = DateTime.UtcNow + (lifetime ?? TimeSpan.FromMinutes(4)),
            Claims = new Dictionary<string, object> { ["sub"] = client.ClientId, ["jti"] = jti ?? Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(key ?? client.PrivateKey, client.Algorithm),
        });

    static Task<HttpResponseMessage> RequestAsync(HttpClient http, string assertion) =>
        http.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "system/Observation.rs",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        }));

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SignedAssertion_RS384_GetsAToken_AndCannotBeReplayed(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var http = app.CreateClient();
        var client = await RegisterAsync(app);
        var assertion = Assertion(client);

        var first = await RequestAsync(http, assertion);
        var replay = await RequestAsync(http, assertion);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var token = new JsonWebToken((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString());
        Assert.Equal(client.ClientId, token.Subject);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Fact]
    public async Task SignedAssertion_ES384_GetsAToken()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var http = app.CreateClient();
        var client = await RegisterAsync(app, elliptic: true);

        Assert.Equal(HttpStatusCode.OK, (await RequestAsync(http, Assertion(client))).StatusCode);
    }

    [Fact]
    public async Task BadAssertions_AllGetTheSameInvalidClient()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var http = app.CreateClient();
        var client = await RegisterAsync(app);
        using var otherKey = RSA.Create(2048);

        string[] bad =
        [
            Assertion(client, audience: "https://elsewhere.example/token"),
            Assertion(client, lifetime: TimeSpan.FromMinutes(30)),          // more than five minutes ahead
            Assertion(client, lifetime: TimeSpan.FromMinutes(-5)),          // expired
            Assertion(client, key: new RsaSecurityKey(otherKey) { KeyId = "rsa-1" }),
            Assertion(client with { ClientId = "cli_000000000000000000000000" }),
            "not.a.jwt",
        ];
        foreach (var assertion in bad)
        {
            var response = await RequestAsync(http, assertion);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_client", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task KeyClient_HasNoSecretThatWorks()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var http = app.CreateClient();
        var client = await RegisterAsync(app);

        var response = await new Hospital("", client.ClientId, "none").RequestTokenAsync(http);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void RegisteringAPrivateKey_IsRefused()
    {
        using var rsa = RSA.Create(2048);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(true)));
        var jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, n = jwk.N, e = jwk.E, d = jwk.D, p = jwk.P, q = jwk.Q } } });

        Assert.Throws<ArgumentException>(() => ClientAssertions.ValidateJwks(jwks));
        Assert.Throws<ArgumentException>(() => ClientAssertions.ValidateJwks("{\"keys\":[]}"));
        Assert.Throws<ArgumentException>(() => ClientAssertions.ValidateJwks("not json"));
    }
}
