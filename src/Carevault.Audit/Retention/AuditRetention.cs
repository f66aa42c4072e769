using Carevault.Audit.Trail;
using Carevault.Storage.Database;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Audit.Retention;

/// <summary>
/// Drops records older than <c>Audit:RetentionDays</c> (0, the default, keeps everything) from the start of each chain.
/// The head's anchor takes the sequence number and hash of the last record dropped, so the remaining chain still
/// verifies from its first record — and dropping records from the middle is still detected.
/// </summary>
public sealed partial class AuditRetention(Db db, TimeProvider clock, ILogger<AuditRetention> logger)
{
    /// <summary>Purges every tenant's chain; returns how many records were dropped.</summary>
    public async Task<long> PurgeAsync(TimeSpan retention, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().Subtract(retention).ToUnixTimeMilliseconds();
        IReadOnlyList<string> tenants;
        await using (var connection = await db.OpenAsync(ct)) tenants = await AuditReader.TenantsAsync(connection, ct);
        long purged = 0;
        foreach (var tenant in tenants) purged += await PurgeTenantAsync(tenant, cutoff, ct);
        if (purged > 0) LogPurged(logger, purged);
        return purged;
    }

    Task<long> PurgeTenantAsync(string tenant, long cutoff, CancellationToken ct) => db.WriteAsync<long>(async (connection, transaction, ct) =>
    {
        var lockHead = "SELECT last_seq FROM audit_chain_heads WHERE tenant_id = @tenant" + (db.Dialect == SqlDialect.Postgres ? " FOR UPDATE" : "");
        var lastSeq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(lockHead, new { tenant }, transaction, cancellationToken: ct));
        // The chain is dropped as a prefix: up to the record before the first one that is still within the period.
        var firstKept = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(seq) FROM audit_records WHERE tenant_id = @tenant AND recorded_at >= @cutoff", new { tenant, cutoff }, transaction, cancellationToken: ct));
        var purgeTo = (firstKept ?? lastSeq + 1) - 1;
        var anchor = await connection.QuerySingleOrDefaultAsync<(long Seq, string Hash)?>(new CommandDefinition(
            "SELECT seq, hash FROM audit_records WHERE tenant_id = @tenant AND seq = @purgeTo", new { tenant, purgeTo }, transaction, cancellationToken: ct));
        if (anchor is null) return (0L, false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE audit_chain_heads SET anchor_seq = @Seq, anchor_hash = @Hash WHERE tenant_id = @tenant",
            new { anchor.Value.Seq, anchor.Value.Hash, tenant }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM audit_entities WHERE tenant_id = @tenant AND seq <= @purgeTo", new { tenant, purgeTo }, transaction, cancellationToken: ct));
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM audit_records WHERE tenant_id = @tenant AND seq <= @purgeTo", new { tenant, purgeTo }, transaction, cancellationToken: ct));
        return ((long)deleted, true);
    }, ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit retention dropped {Count} records past the retention period")]
    static partial void LogPurged(ILogger logger, long count);
}

/// <summary>Runs the purge hourly when <c>Audit:RetentionDays</c> is positive.</summary>
internal sealed partial class AuditRetentionService(AuditRetention retention, IConfiguration configuration, TimeProvider clock, ILogger<AuditRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var days = configuration.GetValue("Audit:RetentionDays", 0);
        if (days <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            try
            {
                await retention.PurgeAsync(TimeSpan.FromDays(days), stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A database outage must not stop the server; the next hour tries again.
                LogFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit retention purge failed; retrying in an hour")]
    static partial void LogFailed(ILogger logger, Exception exception);
}
