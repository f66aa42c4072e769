namespace Carevault.Ingestion.Jobs;

/// <summary>Wakes this process' idle workers when a job is queued here (others find it on their next poll).</summary>
public sealed class JobSignal : IDisposable
{
    readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Notify() => _signal.Release();

    /// <summary>Waits for a notification or the timeout; false on timeout.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    public void Dispose() => _signal.Dispose();
}
