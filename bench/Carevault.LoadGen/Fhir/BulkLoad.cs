using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Carevault.LoadGen.Scenarios;

namespace Carevault.LoadGen.Fhir;

/// <summary>What loading the Observations through <c>POST /fhir/$import</c> took: the bulk-load figure of issue 4.</summary>
public sealed record BulkLoadResult
{
    public long Requested { get; init; }
    public long Created { get; init; }
    public long Rejected { get; init; }
    public int Requests { get; init; }
    public double Seconds { get; init; }
    public double ResourcesPerSecond => Seconds > 0 ? Created / Seconds : 0;
    public double? ServerCpuSeconds { get; init; }
    public double? ServerCpuMicrosPerResource => ServerCpuSeconds is { } s && Created > 0 ? s * 1e6 / Created : null;
    public double? ServerPeakRssMiB { get; init; }
    public double LoadAverageStart { get; init; }
    public double LoadAverageEnd { get; init; }
}

/// <summary>
/// Loads the synthetic Observations through the bulk path, in requests of <c>chunk</c> NDJSON lines generated while
/// they are sent, one request at a time (the server already uses both cores per request).
/// </summary>
public static class BulkLoad
{
    static readonly System.Text.RegularExpressions.Regex Counts = new(@"created (\d+), rejected (\d+)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static async Task<BulkLoadResult> RunAsync(ScenarioContext context, long count, int chunk, int? serverPid, CancellationToken ct)
    {
        var token = await context.GetAccessTokenAsync(ct);
        // Its own client: a request of tens of thousands of resources outlasts the scenarios' 30 s timeout (ct bounds the run).
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        var cpu0 = serverPid is { } p ? ProcessStats.CpuSeconds(p) : 0;
        if (serverPid is { } p0) ProcessStats.TryResetPeak(p0);
        var load0 = ProcessStats.LoadAverage1();
        var started = Stopwatch.GetTimestamp();
        long created = 0, rejected = 0;
        var requests = 0;
        for (long first = 0; first < count; first += chunk)
        {
            var size = (int)Math.Min(chunk, count - first);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseAddress, "/fhir/$import"))
            {
                Content = new SyntheticObservations.NdjsonContent(first, size, seed: 42),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+ndjson");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"$import answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
            using var outcome = JsonDocument.Parse(body);
            var match = Counts.Match(outcome.RootElement.GetProperty("issue")[0].GetProperty("diagnostics").GetString() ?? "");
            created += long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            rejected += long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            requests++;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  bulk load: {created:N0} of {count:N0} ({created / Stopwatch.GetElapsedTime(started).TotalSeconds:F0}/s)"));
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new BulkLoadResult
        {
            Requested = count,
            Created = created,
            Rejected = rejected,
            Requests = requests,
            Seconds = seconds,
            ServerCpuSeconds = serverPid is { } p1 ? ProcessStats.CpuSeconds(p1) - cpu0 : null,
            ServerPeakRssMiB = serverPid is { } p2 ? ProcessStats.StatusMiB(p2, "VmHWM") : null,
            LoadAverageStart = load0,
            LoadAverageEnd = ProcessStats.LoadAverage1(),
        };
    }
}
