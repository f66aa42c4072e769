using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Records.Export;

/// <summary>Wakes this process' idle export workers when an export is kicked off here (others find it on their next poll).</summary>
internal sealed class ExportSignal : IDisposable
{
    readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Notify() => _signal.Release();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    public void Dispose() => _signal.Dispose();
}

/// <summary>
/// Runs <c>Records:Export:Workers</c> loops in this process, each claiming one due export at a time
/// (<see cref="ExportJobStore.ClaimAsync"/>) with its own lease owner id, so a killed process' exports are taken over when
/// their leases run out; when idle, deletes the files of expired, failed and cancelled exports.
/// </summary>
internal sealed partial class ExportWorker(ExportJobStore jobs, ExportRunner runner, ExportSignal signal, Storage.Blobs.EncryptedBlobStore blobs, ExportOptions options,
    TimeProvider clock, ILogger<ExportWorker> logger) : BackgroundService
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
                worked = await RunNextAsync(owner, stoppingToken);
                // Expired files are swept when there is nothing to run, not between exports.
                if (!worked) await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database or blob store outage: keep polling rather than stop the host. Only the type is logged.
                LogPollFailed(logger, e.GetType().Name);
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

    async Task<bool> RunNextAsync(string owner, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var job = await jobs.ClaimAsync(owner, now, options.Lease, ct);
        if (job is null) return false;
        try
        {
            await runner.RunAsync(job, owner, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var final = job.Attempts >= options.MaxAttempts;
            LogExportFailed(logger, job.Id, job.Attempts, e.GetType().Name);
            now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            // Retried after a pause that grows with the attempts; the files of a failed export expire like any other's.
            await jobs.FailAsync(job.Id, owner, e.GetType().Name, final, now + (long)options.PollInterval.TotalMilliseconds * job.Attempts,
                now, now + (long)options.Expiry.TotalMilliseconds, CancellationToken.None);
        }
        return true;
    }

    /// <summary>Deletes the files of expired exports, then their rows.</summary>
    async Task SweepAsync(CancellationToken ct)
    {
        foreach (var job in await jobs.ExpiredAsync(clock.GetUtcNow().ToUnixTimeMilliseconds(), 50, ct))
        {
            foreach (var file in job.Files) await blobs.DeleteAsync(ExportRunner.BlobKey(job, file.Name), ct);
            await jobs.DeleteAsync(job.Id, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export poll failed: {ExceptionType}")]
    static partial void LogPollFailed(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export {ExportId} attempt {Attempt} failed: {ExceptionType}")]
    static partial void LogExportFailed(ILogger logger, string exportId, long attempt, string exceptionType);
}
