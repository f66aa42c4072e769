using System.Diagnostics;
using Carevault.LoadGen.Scenarios;

namespace Carevault.LoadGen;

public sealed record LoadOptions
{
    public required int Connections { get; init; }
    public required TimeSpan Warmup { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>Upper bound on measured requests (0 = only the duration bounds the run).</summary>
    public long MaxRequests { get; init; }
    public int? ServerPid { get; init; }
}

public sealed record ScenarioResult
{
    public required string Scenario { get; init; }
    public required string Description { get; init; }
    public required string Tool { get; init; }
    public int Connections { get; init; }
    public double DurationSeconds { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double RequestsPerSecond { get; init; }
    public double LatencyMeanMs { get; init; }
    public double LatencyP50Ms { get; init; }
    public double LatencyP95Ms { get; init; }
    public double LatencyP99Ms { get; init; }
    public double LatencyMaxMs { get; init; }
    public double? ServerPeakRssMiB { get; init; }
    public bool ServerPeakRssPerScenario { get; init; }
    public double? ServerCpuSeconds { get; init; }
    public double? ServerCpuPerRequestMicros { get; init; }
    public double? LoadGenCpuSeconds { get; init; }
    public double LoadAverageStart { get; init; }
    public double LoadAverageEnd { get; init; }
    public string? FirstError { get; init; }
}

/// <summary>
/// Closed-loop load: <c>Connections</c> workers, each sending its next request as soon as the previous answered,
/// over one <see cref="SocketsHttpHandler"/> capped at that many connections. Warm-up first (not recorded), then a
/// fixed measured duration; both are hard bounds, and the run stops by itself.
/// </summary>
public static class LoadRunner
{
    public static async Task<ScenarioResult> RunAsync(Scenario scenario, ScenarioContext context, LoadOptions options, CancellationToken ct)
    {
        await scenario.PrepareAsync(context, ct);

        await RunPhaseAsync(scenario, context, options with { MaxRequests = 0 }, options.Warmup, record: false, ct);

        var pid = options.ServerPid;
        var resetPeak = pid is { } p0 && ProcessStats.TryResetPeak(p0);
        var serverCpu0 = pid is { } p1 ? ProcessStats.CpuSeconds(p1) : 0;
        var selfCpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var load0 = ProcessStats.LoadAverage1();

        var phase = await RunPhaseAsync(scenario, context, options, options.Duration, record: true, ct);

        var serverCpu = pid is { } p2 ? ProcessStats.CpuSeconds(p2) - serverCpu0 : (double?)null;
        var peak = pid is { } p3 ? ProcessStats.StatusMiB(p3, "VmHWM") : (double?)null;
        var h = phase.Histogram;
        return new ScenarioResult
        {
            Scenario = scenario.Name,
            Description = scenario.Description,
            Tool = "loadgen",
            Connections = options.Connections,
            DurationSeconds = phase.Elapsed.TotalSeconds,
            Requests = h.Count,
            Errors = phase.Errors,
            RequestsPerSecond = (h.Count - phase.Errors) / phase.Elapsed.TotalSeconds,
            LatencyMeanMs = h.Count == 0 ? 0 : h.SumMicros / h.Count / 1000.0,
            LatencyP50Ms = h.Percentile(50) / 1000.0,
            LatencyP95Ms = h.Percentile(95) / 1000.0,
            LatencyP99Ms = h.Percentile(99) / 1000.0,
            LatencyMaxMs = h.MaxMicros / 1000.0,
            ServerPeakRssMiB = peak,
            ServerPeakRssPerScenario = resetPeak,
            ServerCpuSeconds = serverCpu,
            ServerCpuPerRequestMicros = serverCpu is { } c && h.Count > 0 ? c / h.Count * 1e6 : null,
            LoadGenCpuSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - selfCpu0,
            LoadAverageStart = load0,
            LoadAverageEnd = ProcessStats.LoadAverage1(),
            FirstError = phase.FirstError,
        };
    }

    sealed record PhaseResult(LatencyHistogram Histogram, long Errors, TimeSpan Elapsed, string? FirstError);

    static async Task<PhaseResult> RunPhaseAsync(Scenario scenario, ScenarioContext context, LoadOptions options, TimeSpan duration, bool record, CancellationToken ct)
    {
        if (duration <= TimeSpan.Zero) return new PhaseResult(new LatencyHistogram(), 0, TimeSpan.Zero, null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(duration);
        long budget = options.MaxRequests > 0 ? options.MaxRequests : long.MaxValue;
        long errors = 0;
        string? firstError = null;
        var histograms = new LatencyHistogram[options.Connections];
        var started = Stopwatch.GetTimestamp();

        async Task WorkerAsync(int worker)
        {
            var histogram = histograms[worker] = new LatencyHistogram();
            var buffer = new byte[16 * 1024];
            for (long sequence = 0; !stop.IsCancellationRequested; sequence++)
            {
                if (Interlocked.Decrement(ref budget) < 0) break;
                var t0 = Stopwatch.GetTimestamp();
                string? error = null;
                try
                {
                    using var request = scenario.CreateRequest(context, worker, sequence);
                    using var response = await context.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
                    await using (var body = await response.Content.ReadAsStreamAsync(stop.Token))
                        while (await body.ReadAsync(buffer, stop.Token) > 0) { }
                    if ((int)response.StatusCode != scenario.ExpectedStatus) error = $"HTTP {(int)response.StatusCode}";
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break; // the phase ended mid-request: neither a success nor an error
                }
                catch (HttpRequestException e)
                {
                    error = e.HttpRequestError + ": " + e.Message;
                }
                if (!record) continue;
                histogram.Record((long)Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                if (error is not null)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        }

        var workers = new Task[options.Connections];
        for (var i = 0; i < workers.Length; i++)
        {
            var worker = i;
            workers[i] = Task.Run(() => WorkerAsync(worker), CancellationToken.None);
        }
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var total = new LatencyHistogram();
        foreach (var h in histograms) if (h is not null) total.Add(h);
        return new PhaseResult(total, errors, elapsed, firstError);
    }
}
