using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Carevault.Api.Tests.Identity;

public sealed class TokenEndpointTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ClientCredentials_WithValidSecret_IssuesA30MinuteES256TokenThatReachesAProtectedRoute(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app, "system/Observation.rs system/Patient.cruds");

        var response = await hospital.RequestTokenAsync(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(1800, body.GetProperty("expires_in").GetInt64());
        Assert.Equal("system/Observation.rs system/Patient.cruds", body.GetProperty("scope").GetString());
        var jwt = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal(hospital.TenantId, jwt.GetClaim("tenant").Value);
        Assert.Equal(hospital.ClientId, jwt.Subject);
        Assert.Equal(TimeSpan.FromMinutes(30), jwt.ValidTo - jwt.ValidFrom);

        var me = await client.SendAsync(Hospital.Get("/api/me", body.GetProperty("access_token").GetString()!));
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var caller = await me.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(hospital.TenantId, caller.GetProperty("tenant").GetString());
        Assert.Equal(hospital.ClientId, caller.GetProperty("subject").GetString());
        Assert.Equal("client", caller.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task ClientCredentials_WithBasicAuthentication_IssuesAToken()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{hospital.ClientId}:{hospital.Secret}")));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ClientCredentials_WithConfiguredLifetime_UsesIt()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app, tokenLifetime: TimeSpan.FromMinutes(5));

        var body = await (await hospital.RequestTokenAsync(client)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(300, body.GetProperty("expires_in").GetInt64());
    }

    [Fact]
    public async Task ClientCredentials_WithNarrowerScope_GrantsOnlyThat()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app, "system/*.cruds");

        var body = await (await hospital.RequestTokenAsync(client, "system/Observation.rs")).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("system/Observation.rs", body.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task WrongSecret_And_UnknownClient_GetTheSameInvalidClientAnswer()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);

        var wrongSecret = await (hospital with { Secret = hospital.Secret + "x" }).RequestTokenAsync(client);
        var unknownClient = await (hospital with { ClientId = "cli_000000000000000000000000" }).RequestTokenAsync(client);

        foreach (var response in new[] { wrongSecret, unknownClient })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.StartsWith("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        Assert.Equal(await wrongSecret.Content.ReadAsStringAsync(), await unknownClient.Content.ReadAsStringAsync());
        Assert.Equal("invalid_client", (await wrongSecret.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task RevokedClient_GetsInvalidClient()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Carevault.Identity.Clients.ClientStore>(app.Services)
            .RevokeAsync(hospital.TenantId, hospital.ClientId, default);

        var response = await hospital.RequestTokenAsync(client);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("system/Patient.cruds", "invalid_scope")]   // not granted (client has Observation only)
    [InlineData("system/Observation.srud", "invalid_scope")] // malformed: letters out of order
    [InlineData("root/*.*", "invalid_scope")]
    public async Task ScopeNotGrantedOrMalformed_GetsInvalidScope(string scope, string error)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app, "system/Observation.cruds");

        var response = await hospital.RequestTokenAsync(client, scope);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("password", "unsupported_grant_type")]
    [InlineData("", "invalid_request")]
    public async Task UnsupportedOrMissingGrant_GetsTheRfcError(string grantType, string error)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var form = new Dictionary<string, string> { ["client_id"] = "x", ["client_secret"] = "y" };
        if (grantType.Length > 0) form["grant_type"] = grantType;

        var response = await client.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task JsonBody_GetsInvalidRequest()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/oauth/token", new { grant_type = "client_credentials" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}
