using Carevault.Storage.Migrations;

namespace Carevault.Server.Startup;

/// <summary>
/// Before the server takes requests: applies pending migrations (unless <c>Database:MigrateOnStart</c> is false)
/// and performs the first-start bootstrap.
/// </summary>
public sealed partial class DatabaseStartup(Migrator migrator, BootstrapAdmin bootstrap, IConfiguration configuration, TimeProvider clock, ILogger<DatabaseStartup> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken ct)
    {
        if (configuration.GetValue("Database:MigrateOnStart", true))
        {
            var applied = await migrator.MigrateAsync(clock, ct);
            LogMigrated(logger, applied.Count, migrator.Known.Count);
        }
        var status = await migrator.GetStatusAsync(ct);
        if (!status.IsCurrent)
        {
            // Readiness reports this too; the server stays up so an operator can see why.
            LogPending(logger, status.Pending.Count);
            return;
        }
        if (await bootstrap.EnsureAsync(ct) is { } credential) BootstrapAdmin.Print(credential, Console.Out);
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pending} migrations are pending and Database:MigrateOnStart is false: run 'carevault migrate'")]
    static partial void LogPending(ILogger logger, int pending);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema ready: applied {Applied} migrations, {Known} known")]
    static partial void LogMigrated(ILogger logger, int applied, int known);
}
