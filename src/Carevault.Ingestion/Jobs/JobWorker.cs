using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Ingestion.Jobs;

/// <summary>
/// Runs <c>Ingestion:Workers</c> loops in this process, each claiming one due job at a time (see
/// <see cref="JobStore.ClaimAsync"/>), and sleeping until a local upload wakes it or the poll interval passes.
/// Every loop has its own lease owner id, so a crashed process' jobs are taken over when their leases run out.
/// </summary>
public sealed partial class JobWorker(JobPipeline pipeline, JobSignal signal, IngestionOptions options, ILogger<JobWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Workers).Select(_ => LoopAsync(Guid.NewGuid().ToString("N"), stoppingToken)));

    async Task LoopAsync(string owner, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                worked = await pipeline.RunNextAsync(owner, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database outage (or a bug in a claim): keep polling rather than stop the host. Only the type is
                // logged: a provider's message can quote row values.
                LogPollFailed(logger, e.GetType().Name);
                try
                {
                    await Task.Delay(options.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            if (worked) continue;
            try
            {
                await signal.WaitAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion poll failed: {ExceptionType}")]
    static partial void LogPollFailed(ILogger logger, string exceptionType);
}
