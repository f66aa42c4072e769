using System.Diagnostics;
using System.Globalization;
using System.Text;
using Carevault.LoadGen.Scenarios;

namespace Carevault.LoadGen;

/// <summary>
/// Replays a scenario's constant request with Debian's <c>wrk</c> (C, epoll, pipelined-capable), to check whether our
/// .NET generator is the bottleneck on a 2-core box. Same connections and duration; percentiles from wrk's own
/// histogram through a Lua <c>done</c> hook (wrk prints no p95 by itself).
/// </summary>
public static class WrkRunner
{
    public static bool IsAvailable() => File.Exists("/usr/bin/wrk");

    public static async Task<ScenarioResult?> RunAsync(Scenario scenario, ScenarioContext context, LoadOptions options, int threads, CancellationToken ct)
    {
        if (scenario.AsWrkRequest(context) is not { } request) return null;
        var script = Path.Combine(Path.GetTempPath(), $"carevault-wrk-{Environment.ProcessId}-{scenario.Name}.lua");
        await File.WriteAllTextAsync(script, Lua(request), ct);
        try
        {
            var pid = options.ServerPid;
            var resetPeak = pid is { } p0 && ProcessStats.TryResetPeak(p0);
            var serverCpu0 = pid is { } p1 ? ProcessStats.CpuSeconds(p1) : 0;
            var load0 = ProcessStats.LoadAverage1();

            // sh's `times` prints wrk's CPU time (children's user and system) after it exits.
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         "-c", "/usr/bin/wrk \"$@\"; times", "wrk", "-t", threads.ToString(CultureInfo.InvariantCulture),
                         "-c", options.Connections.ToString(CultureInfo.InvariantCulture),
                         "-d", ((int)Math.Ceiling(options.Duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s",
                         "--timeout", "10s", "-s", script, new Uri(context.BaseAddress, request.Path).ToString(),
                     })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Duration + TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
            var output = await stdout;
            var values = Parse(output);
            var wrkCpu = ChildCpuSeconds(output);
            if (!values.TryGetValue("REQ", out var requestCount)) throw new InvalidOperationException("wrk failed: " + await stderr + await stdout);

            var requests = (long)requestCount;
            var errors = (long)values["ERR"];
            var seconds = values["DUR"] / 1e6;
            var serverCpu = pid is { } p2 ? ProcessStats.CpuSeconds(p2) - serverCpu0 : (double?)null;
            return new ScenarioResult
            {
                Scenario = scenario.Name,
                Description = scenario.Description,
                Tool = $"wrk -t{threads}",
                Connections = options.Connections,
                DurationSeconds = seconds,
                Requests = requests,
                Errors = errors,
                RequestsPerSecond = (requests - errors) / seconds,
                LatencyMeanMs = values["MEAN"] / 1000,
                LatencyP50Ms = values["P50"] / 1000,
                LatencyP95Ms = values["P95"] / 1000,
                LatencyP99Ms = values["P99"] / 1000,
                LatencyMaxMs = values["MAX"] / 1000,
                ServerPeakRssMiB = pid is { } p3 ? ProcessStats.StatusMiB(p3, "VmHWM") : null,
                ServerPeakRssPerScenario = resetPeak,
                ServerCpuSeconds = serverCpu,
                ServerCpuPerRequestMicros = serverCpu is { } c && requests > 0 ? c / requests * 1e6 : null,
                LoadGenCpuSeconds = wrkCpu,
                LoadAverageStart = load0,
                LoadAverageEnd = ProcessStats.LoadAverage1(),
            };
        }
        finally
        {
            File.Delete(script);
        }
    }

    static string Lua(WrkRequest request)
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        var lua = new StringBuilder();
        lua.Append("wrk.method = ").Append(Quote(request.Method)).Append('\n');
        if (request.Body is not null) lua.Append("wrk.body = ").Append(Quote(request.Body)).Append('\n');
        foreach (var (name, value) in request.Headers) lua.Append("wrk.headers[").Append(Quote(name)).Append("] = ").Append(Quote(value)).Append('\n');
        lua.Append("""
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("REQ %d\nERR %d\nDUR %d\nMEAN %f\nMAX %d\n", summary.requests,
                e.connect + e.read + e.write + e.status + e.timeout, summary.duration, latency.mean, latency.max))
              for _, p in ipairs({50, 95, 99}) do io.write(string.format("P%d %d\n", p, latency:percentile(p))) end
            end

            """);
        return lua.ToString();
    }

    /// <summary>The last line of sh's <c>times</c>: children's user and system time, as <c>1m2.345s 0m0.500s</c>.</summary>
    static double? ChildCpuSeconds(string output)
    {
        var last = output.TrimEnd().Split('\n')[^1].Trim().Split(' ');
        if (last.Length != 2) return null;
        double total = 0;
        foreach (var part in last)
        {
            var m = part.IndexOf('m', StringComparison.Ordinal);
            if (m < 0 || !part.EndsWith('s')) return null;
            total += double.Parse(part[..m], CultureInfo.InvariantCulture) * 60 + double.Parse(part[(m + 1)..^1], CultureInfo.InvariantCulture);
        }
        return total;
    }

    static Dictionary<string, double> Parse(string output)
    {
        var values = new Dictionary<string, double>();
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Trim().Split(' ');
            if (parts.Length == 2 && parts[0].Length is > 0 and <= 4 && parts[0].All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c))
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                values[parts[0]] = v;
        }
        return values;
    }
}
