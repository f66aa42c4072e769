using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Carevault.Api.Tests.Identity;

public sealed class DiscoveryTests
{
    [Fact]
    public async Task Jwks_PublishesTheKeyThatSignsTokens_WithoutPrivateParts()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var token = new JsonWebToken(await hospital.GetTokenAsync(client));

        var jwks = await client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");

        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal(token.Kid, key.GetProperty("kid").GetString());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.False(key.TryGetProperty("d", out _));
    }

    [Fact]
    public async Task SmartConfiguration_StatesTheTokenEndpointAndGrant()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var smart = await client.GetFromJsonAsync<JsonElement>("/.well-known/smart-configuration");

        Assert.EndsWith("/oauth/token", smart.GetProperty("token_endpoint").GetString(), StringComparison.Ordinal);
        Assert.Contains("client_credentials", smart.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("permission-v2", smart.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("context-standalone-patient", smart.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("launch/patient", smart.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.EndsWith("/oauth/authorize", smart.GetProperty("authorization_endpoint").GetString(), StringComparison.Ordinal);
        Assert.Equal(["S256"], smart.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
    }
}
