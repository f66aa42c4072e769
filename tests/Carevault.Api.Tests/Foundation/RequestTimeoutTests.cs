using System.Net;
using Carevault.Server;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Carevault.Api.Tests.Foundation;

public sealed class RequestTimeoutTests
{
    static async Task<(WebApplication App, TestDatabase Database)> StartWithSlowRouteAsync(string? timeoutSeconds)
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var settings = database.Settings();
        if (timeoutSeconds is not null) settings["Limits:RequestTimeoutSeconds"] = timeoutSeconds;
        var app = CarevaultHost.Build([], settings, builder => builder.WebHost.UseTestServer());
        // A route that takes as long as it is allowed to (test only): it stops when the request is cancelled.
        app.MapGet("/test/slow", async (CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return Results.Ok();
        }).AllowAnonymous();
        await app.StartAsync();
        return (app, database);
    }

    [Fact]
    public async Task Request_PastTheTimeLimit_Gets504()
    {
        var (app, database) = await StartWithSlowRouteAsync("1");
        try
        {
            using var client = app.GetTestClient();

            var response = await client.GetAsync(new Uri("/test/slow", UriKind.Relative));

            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        }
        finally
        {
            await app.DisposeAsync();
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Start_WithANegativeTimeLimit_IsRefused()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        try
        {
            var settings = database.Settings();
            settings["Limits:RequestTimeoutSeconds"] = "-1";
            await using var app = CarevaultHost.Build([], settings, builder => builder.WebHost.UseTestServer());
            await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
}
