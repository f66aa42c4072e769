using Carevault.Server;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carevault.Api.Tests.Infrastructure;

/// <summary>
/// The real server in-process (<see cref="WebApplicationFactory{TEntryPoint}"/> over <see cref="Program"/>) on its own
/// throwaway database, so tests never share data or depend on order.
/// </summary>
public sealed class CarevaultApp : IAsyncDisposable
{
    readonly TestDatabase _database;
    readonly WebApplicationFactory<Program> _factory;

    CarevaultApp(TestDatabase database, IReadOnlyDictionary<string, string?> extraSettings, TimeProvider? clock)
    {
        _database = database;
        var settings = database.Settings();
        foreach (var (key, value) in extraSettings) settings[key] = value;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
            web.ConfigureLogging(logging => logging.AddProvider(Logs));
            if (clock is not null) web.ConfigureServices(services => services.AddSingleton(clock));
        });
    }

    public CapturedLogs Logs { get; } = new();

    public DatabaseProvider Provider => _database.Provider;

    public IServiceProvider Services => _factory.Services;

    public static async Task<CarevaultApp> StartAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var app = new CarevaultApp(database, settings ?? new Dictionary<string, string?>(), clock);
        _ = app._factory.Server; // start now: migrations and bootstrap run before the first request
        return app;
    }

    public HttpClient CreateClient() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }
}
