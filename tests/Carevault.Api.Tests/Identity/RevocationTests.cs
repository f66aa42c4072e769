using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Identity;

public sealed class RevocationTests
{
    static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, Hospital caller, string token) =>
        client.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = caller.ClientId,
            ["client_secret"] = caller.Secret,
            ["token"] = token,
        }));

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Revoke_OwnToken_StopsItAtOnce(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var token = await hospital.GetTokenAsync(client);
        var other = await hospital.GetTokenAsync(client);
        // Used once first, so the server has it among the tokens it already validated.
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", token))).StatusCode);

        var revoked = await PostAsync(client, "/oauth/revoke", hospital, token);

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Hospital.Get("/api/me", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", other))).StatusCode);
        var introspection = await (await PostAsync(client, "/oauth/introspect", hospital, token)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(introspection.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Revoke_AnotherClientsToken_Returns200ButChangesNothing()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var victim = await Hospital.CreateAsync(app);
        var attacker = await Hospital.CreateAsync(app);
        var token = await victim.GetTokenAsync(client);

        var answer = await PostAsync(client, "/oauth/revoke", attacker, token);
        var garbage = await PostAsync(client, "/oauth/revoke", attacker, "not-a-token");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Hospital.Get("/api/me", token))).StatusCode);
    }

    [Fact]
    public async Task Introspect_OwnTenantsToken_DescribesIt_OtherTenantsTokenIsInactive()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospitalA = await Hospital.CreateAsync(app, "system/Observation.rs");
        var hospitalB = await Hospital.CreateAsync(app);
        var token = await hospitalA.GetTokenAsync(client);

        var own = await (await PostAsync(client, "/oauth/introspect", hospitalA, token)).Content.ReadFromJsonAsync<JsonElement>();
        var foreign = await (await PostAsync(client, "/oauth/introspect", hospitalB, token)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(own.GetProperty("active").GetBoolean());
        Assert.Equal("system/Observation.rs", own.GetProperty("scope").GetString());
        Assert.Equal(hospitalA.ClientId, own.GetProperty("client_id").GetString());
        Assert.Equal(hospitalA.TenantId, own.GetProperty("tenant").GetString());
        Assert.False(foreign.GetProperty("active").GetBoolean());
        Assert.False(foreign.TryGetProperty("client_id", out _));
    }

    [Fact]
    public async Task RevokeAndIntrospect_WithoutValidClientCredentials_Return401()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var token = await hospital.GetTokenAsync(client);

        foreach (var path in new[] { "/oauth/revoke", "/oauth/introspect" })
        {
            var response = await PostAsync(client, path, hospital with { Secret = "wrong" }, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_client", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }
    }
}
