using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Infrastructure;

/// <summary>A tenant with one registered client, created through the identity module for a test.</summary>
public sealed record Hospital(string TenantId, string ClientId, string Secret)
{
    public static async Task<Hospital> CreateAsync(CarevaultApp app, string scopes = "system/*.cruds", TimeSpan? tokenLifetime = null)
    {
        var tenantId = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenantId, "Test Hospital " + tenantId, default);
        Assert.True(ScopeSet.TryParse(scopes, out var granted));
        var issued = await app.Services.GetRequiredService<ClientStore>().CreateAsync(tenantId, "LIS", granted, tokenLifetime, default);
        return new Hospital(tenantId, issued.Client.Id, issued.Secret);
    }

    public async Task<HttpResponseMessage> RequestTokenAsync(HttpClient client, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = ClientId, ["client_secret"] = Secret };
        if (scope is not null) form["scope"] = scope;
        return await client.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(form));
    }

    public async Task<string> GetTokenAsync(HttpClient client, string? scope = null)
    {
        var response = await RequestTokenAsync(client, scope);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
