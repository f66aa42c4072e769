using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>What the portal tests' clinics share: seeding resources, reading them back, and signing people in.</summary>
internal static class PortalTestData
{
    public const string Password = "a long enough passphrase";

    /// <summary>Stores a resource through the store (no HTTP, no audit) and returns its id.</summary>
    public static async Task<string> CreateAsync(ResourceStore store, string tenant, string json)
    {
        var type = JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()!;
        var created = await store.CreateAsync(tenant, type, Encoding.UTF8.GetBytes(json), default);
        Assert.True(created.IsSuccess, created.Error?.Message);
        return created.Value!.Id;
    }

    /// <summary>The tenant's resources of a type matching the criteria (up to 100), as JSON.</summary>
    public static async Task<List<JsonElement>> SearchAsync(CarevaultApp app, string tenant, string type, (string Name, string Value)[] criteria)
    {
        var query = app.Services.GetRequiredService<SearchQueryParser>()
            .Parse(type, criteria.Select(c => new KeyValuePair<string, string>(c.Name, c.Value)).Append(new("_count", "100")), strict: true);
        Assert.Null(query.Error);
        var page = await app.Services.GetRequiredService<ResourceStore>().SearchAsync(tenant, query.Value!, default);
        return page.Resources.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone()).ToList();
    }

    /// <summary>A browser signed in through the sign-in form.</summary>
    public static async Task<PortalBrowser> SignInAsync(CarevaultApp app, string tenant, string username)
    {
        var browser = PortalBrowser.Open(app);
        using var response = await browser.SignInAsync(tenant, username, Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }
}
