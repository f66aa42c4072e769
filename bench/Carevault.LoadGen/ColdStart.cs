using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Carevault.LoadGen;

public sealed record ColdStartRun(double FirstReadyMs, double RssAfterIdleMiB, double CpuSecondsToReady, double ShutdownMs);

public sealed record ColdStartResult
{
    public required string Scenario { get; init; }
    public required string Description { get; init; }
    public required IReadOnlyList<ColdStartRun> Runs { get; init; }
    public double MedianFirstReadyMs { get; init; }
    public double MinFirstReadyMs { get; init; }
    public double MaxFirstReadyMs { get; init; }
    public double MedianIdleRssMiB { get; init; }
    public double LoadAverageStart { get; init; }
    public double LoadAverageEnd { get; init; }
}

/// <summary>
/// Process start → first <c>200</c> on <c>/health/ready</c>, polled every 2 ms on a fresh 127.0.0.1 port. Each run
/// then idles <c>idle</c> seconds (RSS read then: the idle footprint), and is stopped with SIGTERM.
/// </summary>
public static partial class ColdStart
{
    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    public static async Task<ColdStartResult> RunAsync(string name, string description, string serverCommand, string dataDir, int runs,
        TimeSpan idle, string logDir, CancellationToken ct)
    {
        var results = new List<ColdStartRun>();
        var load0 = ProcessStats.LoadAverage1();
        for (var i = 0; i < runs; i++)
            results.Add(await RunOnceAsync(serverCommand, dataDir, idle, Path.Combine(logDir, $"{name}-{i + 1}.log"), ct));
        var ready = results.Select(r => r.FirstReadyMs).Order().ToArray();
        return new ColdStartResult
        {
            Scenario = name,
            Description = description,
            Runs = results,
            MedianFirstReadyMs = Median(ready),
            MinFirstReadyMs = ready[0],
            MaxFirstReadyMs = ready[^1],
            MedianIdleRssMiB = Median([.. results.Select(r => r.RssAfterIdleMiB).Order()]),
            LoadAverageStart = load0,
            LoadAverageEnd = ProcessStats.LoadAverage1(),
        };
    }

    static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

    static async Task<ColdStartRun> RunOnceAsync(string serverCommand, string dataDir, TimeSpan idle, string logFile, CancellationToken ct)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        // exec keeps the pid: the pid we hold is the server's, and its output goes to a file, not a pipe we must drain.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exec \"$0\" \"$@\" > \"$LOGFILE\" 2>&1" }) start.ArgumentList.Add(arg);
        foreach (var arg in SplitCommand(serverCommand)) start.ArgumentList.Add(arg);
        foreach (var arg in new[] { "serve", "--urls", url, "--data-dir", dataDir }) start.ArgumentList.Add(arg);
        start.Environment["LOGFILE"] = logFile;

        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1) }) { Timeout = TimeSpan.FromSeconds(10) };
        var ready = new Uri(url + "/health/ready");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        try
        {
            while (true)
            {
                if (process.HasExited) throw new InvalidOperationException($"server exited with {process.ExitCode}; see {logFile}");
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"server not ready after 60 s; see {logFile}");
                try
                {
                    using var response = await http.GetAsync(ready, ct);
                    if (response.StatusCode == HttpStatusCode.OK) break;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                await Task.Delay(2, ct);
            }
            var firstReady = clock.Elapsed.TotalMilliseconds;
            var cpu = ProcessStats.CpuSeconds(process.Id);
            await Task.Delay(idle, ct);
            var rss = ProcessStats.StatusMiB(process.Id, "VmRSS");

            var stopping = Stopwatch.StartNew();
            _ = Kill(process.Id, 15);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(wait.Token);
            return new ColdStartRun(firstReady, rss, cpu, stopping.Elapsed.TotalMilliseconds);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    static string[] SplitCommand(string command) => command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
