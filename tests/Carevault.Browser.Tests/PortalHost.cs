using System.Net;
using System.Net.Sockets;
using Carevault.Server;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carevault.Browser.Tests;

/// <summary>
/// The real server (<see cref="CarevaultHost"/>, Kestrel) on a free 127.0.0.1 port and its own throwaway database, for
/// a real browser to reach over TCP.
/// </summary>
public sealed class PortalHost : IAsyncDisposable
{
    readonly TestDatabase _database;
    readonly WebApplication _app;

    PortalHost(TestDatabase database, WebApplication app, string address)
    {
        _database = database;
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<PortalHost> StartAsync(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var address = $"http://127.0.0.1:{FreePort()}";
        var settings = database.Settings();
        settings["Urls"] = address;
        var app = CarevaultHost.Build([], new Dictionary<string, string?>(), builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            // Static files are found through "<application>.staticwebassets.endpoints.json", named after the server's assembly.
            builder.Environment.ApplicationName = "carevault";
            builder.Logging.ClearProviders();
        });
        await app.StartAsync();
        return new PortalHost(database, app, address);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }
}
