using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Foundation;

public sealed class HealthTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Ready_OnFreshStart_Returns200WithEveryCheckHealthy(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        foreach (var check in new[] { "database", "migrations", "blobs" })
            Assert.Equal("Healthy", body.GetProperty("checks").GetProperty(check).GetString());
    }

    [Fact]
    public async Task Ready_WhenMigrationsWereNotApplied_Returns503()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Database:MigrateOnStart"] = "false" });
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("migrations").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("database").GetString());
    }

    [Fact]
    public async Task Live_Returns200()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
