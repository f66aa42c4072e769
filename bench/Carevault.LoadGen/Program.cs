using System.Globalization;
using System.Net;
using System.Text.Json;
using Carevault.LoadGen;
using Carevault.LoadGen.Scenarios;

// Carevault load generator: a separate process that drives a running server on 127.0.0.1 and writes JSON + Markdown.
// Usage: bench/run.sh (which builds, starts the server, creates a tenant and client, and calls this). Options: --help.

var options = Args.Parse(args);
if (options.ContainsKey("help"))
{
    Console.WriteLine("""
        Carevault.LoadGen --base-url http://127.0.0.1:PORT --server-pid PID --client-id ID --client-secret SECRET
          [--scenarios health-live,health-ready,token-issue,api-me] [--fhir-observations N [--bulk-chunk 20000]] [--connections 32] [--duration 10] [--warmup 3]
          [--max-requests N] [--wrk] [--wrk-threads 1] [--server-cmd "PATH/carevault" --cold-start-runs 5
          --cold-start-data-dir DIR [--fresh-start-dir DIR]] [--idle 5] [--meta key=value]… [--log-dir DIR]
          [--out-json FILE] [--out-md FILE] [--time-limit 1200]
        Scenarios: 
        """ + string.Join(", ", ScenarioCatalog.All.Select(f => f().Name)));
    return 0;
}

var timeLimit = TimeSpan.FromSeconds(Args.Int(options, "time-limit", 1200));
using var cts = new CancellationTokenSource(timeLimit); // hard bound on the whole run
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var ct = cts.Token;

var baseUrl = new Uri(Args.Required(options, "base-url"));
if (!IPAddress.TryParse(baseUrl.Host, out var address) || !IPAddress.IsLoopback(address))
{
    Console.Error.WriteLine("error: --base-url must be a loopback address (127.0.0.1): this tool only loads a local server.");
    return 2;
}
int? serverPid = options.TryGetValue("server-pid", out var pidText) ? int.Parse(pidText[0], CultureInfo.InvariantCulture) : null;
var connections = Args.Int(options, "connections", 32);
var load = new LoadOptions
{
    Connections = connections,
    Warmup = TimeSpan.FromSeconds(Args.Int(options, "warmup", 3)),
    Duration = TimeSpan.FromSeconds(Args.Int(options, "duration", 10)),
    MaxRequests = Args.Int(options, "max-requests", 0),
    ServerPid = serverPid,
};
var logDir = options.TryGetValue("log-dir", out var ld) ? ld[0] : Path.GetTempPath();
Directory.CreateDirectory(logDir);
var idle = TimeSpan.FromSeconds(Args.Int(options, "idle", 5));

using var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = Math.Max(connections, 64), // scenarios may ask for their own (FHIR read: 64)
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    AutomaticDecompression = DecompressionMethods.None,
    UseProxy = false,
    UseCookies = false,
    ConnectTimeout = TimeSpan.FromSeconds(5),
};
using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
var context = new ScenarioContext
{
    BaseAddress = baseUrl,
    Client = client,
    ClientId = options.TryGetValue("client-id", out var id) ? id[0] : "",
    ClientSecret = options.TryGetValue("client-secret", out var secret) ? secret[0] : "",
};

var report = new Report
{
    StartedUtc = DateTimeOffset.UtcNow,
    Meta = options.TryGetValue("meta", out var meta)
        ? meta.Select(m => m.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "")
        : [],
};
report.Meta["loadgen"] = $"Carevault.LoadGen, closed loop, {connections} connections, warm-up {load.Warmup.TotalSeconds} s, {load.Duration.TotalSeconds} s measured per scenario";
report.Meta["loadAverageAtStart"] = File.ReadAllText("/proc/loadavg").Trim();

// Idle footprint of the running server: after it has answered one request of each kind, left alone for --idle seconds.
if (serverPid is { } pid)
{
    foreach (var path in new[] { "/health/ready", "/health/live" })
        (await client.GetAsync(new Uri(baseUrl, path), ct)).Dispose();
    if (context.ClientId.Length > 0)
    {
        var token = await context.GetAccessTokenAsync(ct);
        using var me = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, "/api/me"));
        me.Headers.Authorization = new("Bearer", token);
        (await client.SendAsync(me, ct)).Dispose();
    }
    await Task.Delay(idle, ct);
    report.Idle = new IdleResult(ProcessStats.StatusMiB(pid, "VmRSS"), ProcessStats.StatusMiB(pid, "VmHWM"), idle.TotalSeconds);
    Console.WriteLine($"idle: RSS {report.Idle.RssMiB:F1} MiB (peak so far {report.Idle.PeakRssMiB:F1} MiB)");
}

var names = options.TryGetValue("scenarios", out var sc)
    ? sc[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    : [.. ScenarioCatalog.All.Select(f => f().Name)];
var useWrk = options.ContainsKey("wrk") && WrkRunner.IsAvailable();

// The FHIR data set, loaded through the bulk path (POST /fhir/$import): its time and rate are the bulk-load figure.
if (Args.Int(options, "fhir-observations", 0) is > 0 and var observations)
{
    Console.WriteLine($"bulk load: {observations:N0} synthetic Observations through POST /fhir/$import …");
    report.BulkLoad = await Carevault.LoadGen.Fhir.BulkLoad.RunAsync(context, observations, Args.Int(options, "bulk-chunk", 20_000), serverPid, ct);
    FhirDataset.Loaded = report.BulkLoad.Created;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"bulk load: {report.BulkLoad.Created:N0} in {report.BulkLoad.Seconds:F1} s = {report.BulkLoad.ResourcesPerSecond:F0}/s, server CPU {report.BulkLoad.ServerCpuMicrosPerResource:F0} µs/resource"));
}
foreach (var name in names)
{
    var scenario = ScenarioCatalog.Find(name);
    if (scenario is null)
    {
        Console.Error.WriteLine($"error: unknown scenario '{name}'");
        return 2;
    }
    var scenarioLoad = scenario.Connections is { } own ? load with { Connections = own } : load;
    Console.WriteLine($"{scenario.Name}: {scenarioLoad.Connections} connections, {load.Warmup.TotalSeconds} s warm-up + {load.Duration.TotalSeconds} s …");
    var result = scenario is Hl7EndToEnd endToEnd
        ? await endToEnd.RunAsync(context, scenarioLoad, ct)
        : await LoadRunner.RunAsync(scenario, context, scenarioLoad, ct);
    report.Load.Add(result);
    Console.WriteLine(Report.Line(result));
    if (useWrk && await WrkRunner.RunAsync(scenario, context, scenarioLoad, Args.Int(options, "wrk-threads", 1), ct) is { } wrk)
    {
        report.Load.Add(wrk);
        Console.WriteLine(Report.Line(wrk));
    }
}

if (options.TryGetValue("server-cmd", out var serverCmd))
{
    var runs = Args.Int(options, "cold-start-runs", 5);
    Console.WriteLine($"cold start: {runs} runs …");
    var cold = await ColdStart.RunAsync("cold-start", "process start → first 200 on /health/ready (existing data)", serverCmd[0],
        Args.Required(options, "cold-start-data-dir"), runs, idle, logDir, ct);
    report.ColdStart.Add(cold);
    Console.WriteLine($"cold start: median {cold.MedianFirstReadyMs:F0} ms (min {cold.MinFirstReadyMs:F0}, max {cold.MaxFirstReadyMs:F0}); idle RSS {cold.MedianIdleRssMiB:F1} MiB");
    if (options.TryGetValue("fresh-start-dir", out var fresh))
    {
        var first = await ColdStart.RunAsync("first-start", "first start on an empty data dir (migrations, key generation, admin bootstrap)",
            serverCmd[0], fresh[0], 1, idle, logDir, ct);
        report.ColdStart.Add(first);
        Console.WriteLine($"first start: {first.MedianFirstReadyMs:F0} ms");
    }
}

report.FinishedUtc = DateTimeOffset.UtcNow;
report.Meta["loadAverageAtEnd"] = File.ReadAllText("/proc/loadavg").Trim();
if (options.TryGetValue("out-json", out var outJson)) await File.WriteAllTextAsync(outJson[0], report.ToJson(), ct);
if (options.TryGetValue("out-md", out var outMd)) await File.WriteAllTextAsync(outMd[0], report.ToMarkdown(), ct);
return report.Load.Any(r => r.Errors > 0) ? 1 : 0;

static class Args
{
    public static Dictionary<string, List<string>> Parse(string[] args)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            var key = args[i][2..];
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "";
            if (!result.TryGetValue(key, out var list)) result[key] = list = [];
            list.Add(value);
        }
        return result;
    }

    public static string Required(Dictionary<string, List<string>> options, string key) =>
        options.TryGetValue(key, out var v) && v[0].Length > 0 ? v[0] : throw new ArgumentException($"--{key} is required");

    public static int Int(Dictionary<string, List<string>> options, string key, int fallback) =>
        options.TryGetValue(key, out var v) ? int.Parse(v[0], CultureInfo.InvariantCulture) : fallback;
}

sealed record IdleResult(double RssMiB, double PeakRssMiB, double IdleSeconds);

sealed class Report
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public DateTimeOffset StartedUtc { get; init; }
    public DateTimeOffset FinishedUtc { get; set; }
    public required Dictionary<string, string> Meta { get; init; }
    public IdleResult? Idle { get; set; }
    public List<ColdStartResult> ColdStart { get; } = [];
    public List<ScenarioResult> Load { get; } = [];
    public Carevault.LoadGen.Fhir.BulkLoadResult? BulkLoad { get; set; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string Line(ScenarioResult r) => string.Create(CultureInfo.InvariantCulture,
        $"  {r.Tool,-8} {r.RequestsPerSecond,9:F0} req/s  p50 {r.LatencyP50Ms:F2} ms  p95 {r.LatencyP95Ms:F2} ms  p99 {r.LatencyP99Ms:F2} ms  errors {r.Errors}  server CPU {r.ServerCpuSeconds:F1} s  peak RSS {r.ServerPeakRssMiB:F0} MiB  load {r.LoadAverageStart:F1}→{r.LoadAverageEnd:F1}");

    public string ToMarkdown()
    {
        var md = new System.Text.StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"# Carevault load benchmark — {StartedUtc:yyyy-MM-dd HH:mm} UTC").AppendLine();
        foreach (var (key, value) in Meta) md.AppendLine(inv, $"- {key}: {value}");
        md.AppendLine();
        if (ColdStart.Count > 0 || Idle is not null)
        {
            md.AppendLine("| measurement | value | notes |").AppendLine("|---|---:|---|");
            foreach (var c in ColdStart)
                md.AppendLine(inv, $"| {c.Scenario}: {c.Description} | {c.MedianFirstReadyMs:F0} ms median | {c.Runs.Count} runs, min {c.MinFirstReadyMs:F0}, max {c.MaxFirstReadyMs:F0}; idle RSS {c.MedianIdleRssMiB:F1} MiB; load {c.LoadAverageStart:F2}→{c.LoadAverageEnd:F2} |");
            if (Idle is not null)
                md.AppendLine(inv, $"| idle RSS of the benchmark server | {Idle.RssMiB:F1} MiB | after one request of each kind and {Idle.IdleSeconds:F0} s idle (VmRSS); peak so far {Idle.PeakRssMiB:F1} MiB |");
            md.AppendLine();
        }
        if (BulkLoad is { } b)
        {
            md.AppendLine("| bulk load (POST /fhir/$import, NDJSON) | resources | seconds | resources/s | rejected | requests | server CPU µs/resource | server peak RSS MiB | load avg |")
              .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            md.AppendLine(inv, $"| synthetic Observations, 10,000 patients, 20 LOINC codes | {b.Created} | {b.Seconds:F1} | {b.ResourcesPerSecond:F0} | {b.Rejected} | {b.Requests} | {b.ServerCpuMicrosPerResource:F0} | {b.ServerPeakRssMiB:F0} | {b.LoadAverageStart:F1}→{b.LoadAverageEnd:F1} |");
            md.AppendLine();
        }
        if (Load.Count > 0)
        {
            md.AppendLine("| scenario | tool | conns | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | server peak RSS MiB | server CPU s | CPU µs/req | generator CPU s | load avg |")
              .AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var r in Load)
                md.AppendLine(inv, $"| {r.Scenario} | {r.Tool} | {r.Connections} | {r.RequestsPerSecond:F0} | {r.LatencyP50Ms:F2} | {r.LatencyP95Ms:F2} | {r.LatencyP99Ms:F2} | {r.LatencyMaxMs:F1} | {r.Errors} | {r.ServerPeakRssMiB:F0} | {r.ServerCpuSeconds:F1} | {r.ServerCpuPerRequestMicros:F0} | {r.LoadGenCpuSeconds:F1} | {r.LoadAverageStart:F1}→{r.LoadAverageEnd:F1} |");
            md.AppendLine();
            md.AppendLine("Server peak RSS is VmHWM, reset before each scenario (clear_refs). CPU s is the server's utime+stime during the measured part; generator CPU s is the load generator's (or wrk's) own, on the same 2 cores. Latencies are per request, client side.");
        }
        return md.ToString();
    }
}
