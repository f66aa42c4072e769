using System.Net;
using System.Net.Http.Json;
using System.Text;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Server;
using Carevault.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Carevault.Api.Tests.Foundation;

/// <summary>
/// The error model for bodies, through the server's real pipeline (<see cref="CarevaultHost.Build"/>) with probe
/// routes added, so the generic behaviour is proven apart from any one feature.
/// </summary>
public sealed class RequestErrorTests : IAsyncLifetime
{
    TestDatabase _database = null!;
    WebApplication _app = null!;
    HttpClient _client = null!;

    public sealed record Probe(string Name, int Count);

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(Carevault.Storage.DatabaseProvider.Sqlite);
        var settings = _database.Settings();
        settings["Limits:MaxRequestBodyBytes"] = "1024";
        _app = CarevaultHost.Build([], settings, builder => builder.WebHost.UseTestServer());
        _app.MapPost("/probe", (Probe probe) => TypedResults.Ok(probe));
        _app.MapGet("/probe/fail", string () => throw new InvalidOperationException("internal detail: connection to db-7 failed"));
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Post_WithValidJson_Succeeds()
    {
        var response = await _client.PostAsJsonAsync("/probe", new Probe("a", 1));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Probe("a", 1), await response.Content.ReadFromJsonAsync<Probe>());
    }

    [Fact]
    public async Task Post_WithMalformedJson_Returns400NamingWhereItBroke()
    {
        using var content = new StringContent("{\"name\": \"a\",\n \"count\": oops}", Encoding.UTF8, "application/json");

        var response = await _client.PostAsync(new Uri("/probe", UriKind.Relative), content);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "malformed-json");
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("$.count", detail, StringComparison.Ordinal);
        Assert.Contains("line 2", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("oops", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_WithBodyOverTheLimit_Returns413()
    {
        using var content = new StringContent($$"""{"name":"{{new string('x', 2000)}}","count":1}""", Encoding.UTF8, "application/json");

        var response = await _client.PostAsync(new Uri("/probe", UriKind.Relative), content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Fact]
    public async Task Post_WithWrongContentType_Returns415()
    {
        using var content = new StringContent("name=a&count=1", Encoding.UTF8, "text/plain");

        var response = await _client.PostAsync(new Uri("/probe", UriKind.Relative), content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task UnhandledException_Returns500WithoutInternalDetail()
    {
        var response = await _client.GetAsync(new Uri("/probe/fail", UriKind.Relative));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError, "internal-error");
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("db-7", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
    }
}
