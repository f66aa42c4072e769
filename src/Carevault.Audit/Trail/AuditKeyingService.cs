using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Audit.Trail;

/// <summary>
/// After start, marks where keyed hashing begins on chains that still end in unkeyed records (written before the
/// upgrade to keyed hashing, decision 0017). In the background: readiness does not wait for it, and appends seal a
/// chain themselves, so it only matters for tenants that are idle.
/// </summary>
internal sealed partial class AuditKeyingService(AuditTrail trail, TimeProvider clock, ILogger<AuditKeyingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var sealedChains = await trail.SealUnkeyedChainsAsync(clock, stoppingToken);
            if (sealedChains > 0) LogSealed(logger, sealedChains);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next append to each chain marks it instead; verify reports chains that are still unkeyed.
            LogFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chains of {Count} tenants now use keyed hashing")]
    static partial void LogSealed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not mark unkeyed audit chains; their next record will")]
    static partial void LogFailed(ILogger logger, Exception exception);
}
