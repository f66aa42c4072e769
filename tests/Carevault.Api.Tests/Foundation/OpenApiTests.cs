using System.Net;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;

namespace Carevault.Api.Tests.Foundation;

public sealed class OpenApiTests
{
    [Fact]
    public async Task Document_DescribesTheJsonApi()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("Carevault API", document.GetProperty("info").GetProperty("title").GetString());
        var ready = document.GetProperty("paths").GetProperty("/health/ready").GetProperty("get").GetProperty("responses");
        Assert.True(ready.TryGetProperty("200", out _));
        Assert.True(ready.TryGetProperty("503", out _));
    }

    [Fact]
    public async Task DocsPage_IsBrowsable()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/docs/index.html", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
