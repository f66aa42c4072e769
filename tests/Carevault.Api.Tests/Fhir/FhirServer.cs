using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Server;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// The real host (<see cref="CarevaultHost.Build"/>) on a throwaway database.
/// One server per backend is shared by a test class; every test creates its own tenant, so none sees another's data.
/// </summary>
public sealed class FhirServer : IAsyncDisposable
{
    readonly TestDatabase _database;
    readonly WebApplication _app;

    FhirServer(TestDatabase database, WebApplication app)
    {
        _database = database;
        _app = app;
        Client = app.GetTestClient();
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="settings">Configuration values on top of the database's (e.g. <c>Records:Export:MaxLinesPerFile</c>).</param>
    public static async Task<FhirServer> StartAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var named = database.Settings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) named[key] = value;
        var app = CarevaultHost.Build([], named, builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        return new FhirServer(database, app);
    }

    /// <summary>A new tenant with one client holding <paramref name="scopes"/>; returns its access token.</summary>
    public async Task<string> NewTenantTokenAsync(string scopes = "system/*.cruds") => (await NewTenantTokensAsync(scopes))[0];

    /// <summary>A new tenant with one client per entry of <paramref name="scopes"/>; returns their access tokens in order.</summary>
    public async Task<string[]> NewTenantTokensAsync(params string[] scopes)
    {
        var tenantId = "h-" + Guid.NewGuid().ToString("N")[..12];
        await _app.Services.GetRequiredService<TenantStore>().CreateAsync(tenantId, "Test Hospital " + tenantId, default);
        var tokens = new string[scopes.Length];
        for (var i = 0; i < scopes.Length; i++) tokens[i] = await ClientTokenAsync(tenantId, scopes[i]);
        return tokens;
    }

    async Task<string> ClientTokenAsync(string tenantId, string scopes)
    {
        Assert.True(ScopeSet.TryParse(scopes, out var granted));
        var issued = await _app.Services.GetRequiredService<ClientStore>().CreateAsync(tenantId, "LIS", granted, null, default);
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = issued.Client.Id, ["client_secret"] = issued.Secret };
        var response = await Client.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(form));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? json = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/fhir+json");
        configure?.Invoke(request);
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>Starts each backend's server once per test class, on first use.</summary>
public sealed class FhirServers : IAsyncDisposable
{
    readonly ConcurrentDictionary<DatabaseProvider, Lazy<Task<FhirServer>>> _servers = new();

    public Task<FhirServer> GetAsync(DatabaseProvider provider) =>
        _servers.GetOrAdd(provider, p => new Lazy<Task<FhirServer>>(() => FhirServer.StartAsync(p))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values)
            if (server.IsValueCreated) await (await server.Value).DisposeAsync();
    }
}

public static class FhirAssert
{
    /// <summary>Asserts an OperationOutcome response with the status; returns its JSON.</summary>
    public static async Task<JsonElement> IsOutcomeAsync(HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = JsonDocument.Parse(body).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.True(outcome.GetProperty("issue").GetArrayLength() > 0);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return outcome;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {status}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}
