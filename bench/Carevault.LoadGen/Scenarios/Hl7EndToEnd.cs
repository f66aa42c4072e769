using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Carevault.LoadGen.Scenarios;

/// <summary>
/// Small HL7 ORU^R01 uploads followed to their completed jobs (issue 5 target: ≥ 1,000 jobs/s end to end on SQLite).
/// Uploaders send closed-loop for the measured duration; a checker follows every accepted job (in acceptance order,
/// which is the queue's order) until it is final. Jobs/s = completed jobs ÷ (first upload → last completion seen);
/// latencies are upload start → completion seen (the checker's polling adds up to a few ms). Each message has its own
/// control id and patient, so every job creates a Patient, a DiagnosticReport, an Observation, a DocumentReference and
/// a Provenance.
/// </summary>
public sealed class Hl7EndToEnd : Scenario
{
    static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(3);
    string _token = "";

    public override string Name => "hl7-end-to-end";
    public override string Description => "HL7 ORU^R01 upload → job completed (parse, map, FHIR transaction, Provenance); req/s = jobs/s";
    public override int ExpectedStatus => 202;

    public override async Task PrepareAsync(ScenarioContext context, CancellationToken ct) => _token = await context.GetAccessTokenAsync(ct);

    public static byte[] Message(int worker, long sequence)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"B{worker}-{sequence}-{Environment.TickCount64}");
        return Encoding.ASCII.GetBytes(
            $"MSH|^~\\&|LAB|BENCH|EHR|HOSP|202611210815+0000||ORU^R01|{id}|P|2.5.1\r" +
            $"PID|1||{id}^^^BENCH&1.2.3.4.5&ISO^MR||Bench^Patient||19700101|F\r" +
            "OBR|1||ACC1|2345-7^Glucose^LN|||202611210700+0000||||||||||||||||F\r" +
            "OBX|1|NM|2345-7^Glucose^LN||98|mg/dL|70-99|N|||F\r");
    }

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseAddress, "/api/reports")) { Content = new ByteArrayContent(Message(worker, sequence)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/hl7-v2");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    /// <summary>Runs the measurement (no warm-up phase: the first jobs are part of what a burst costs).</summary>
    public async Task<ScenarioResult> RunAsync(ScenarioContext context, LoadOptions options, CancellationToken ct)
    {
        await PrepareAsync(context, ct);
        var pid = options.ServerPid;
        var serverCpu0 = pid is { } p1 ? ProcessStats.CpuSeconds(p1) : 0;
        var selfCpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var load0 = ProcessStats.LoadAverage1();
        var accepted = new BlockingCollection<(string JobId, long StartedTicks)>();
        long uploadErrors = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();

        using var stopUploads = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stopUploads.CancelAfter(options.Duration);
        async Task UploaderAsync(int worker)
        {
            for (long sequence = 0; !stopUploads.IsCancellationRequested; sequence++)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var request = CreateRequest(context, worker, sequence);
                    using var response = await context.Client.SendAsync(request, stopUploads.Token);
                    var body = await response.Content.ReadAsStringAsync(stopUploads.Token);
                    if ((int)response.StatusCode != 202)
                    {
                        Interlocked.Increment(ref uploadErrors);
                        Interlocked.CompareExchange(ref firstError, $"upload HTTP {(int)response.StatusCode}", null);
                        continue;
                    }
                    accepted.Add((JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetString()!, t0), CancellationToken.None);
                }
                catch (OperationCanceledException) when (stopUploads.IsCancellationRequested)
                {
                    break;
                }
                catch (HttpRequestException e)
                {
                    Interlocked.Increment(ref uploadErrors);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
            }
        }

        var histogram = new LatencyHistogram();
        long failedJobs = 0;
        long lastCompletion = started;
        async Task CheckerAsync()
        {
            using var drainLimit = new CancellationTokenSource(options.Duration + DrainLimit);
            foreach (var (jobId, t0) in accepted.GetConsumingEnumerable(CancellationToken.None))
            {
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseAddress, $"/api/jobs/{jobId}"));
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                    using var response = await context.Client.SendAsync(request, drainLimit.Token);
                    var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(drainLimit.Token)).RootElement.GetProperty("status").GetString();
                    if (status is "completed" or "failed" or "dead-letter" or "quarantined" or "cancelled")
                    {
                        var now = Stopwatch.GetTimestamp();
                        lastCompletion = now;
                        histogram.Record((long)Stopwatch.GetElapsedTime(t0, now).TotalMicroseconds);
                        if (status != "completed")
                        {
                            failedJobs++;
                            Interlocked.CompareExchange(ref firstError, $"job {status}", null);
                        }
                        break;
                    }
                    await Task.Delay(2, drainLimit.Token);
                }
            }
        }

        var checker = Task.Run(CheckerAsync, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, options.Connections).Select(w => Task.Run(() => UploaderAsync(w), CancellationToken.None)));
        accepted.CompleteAdding();
        await checker;

        var elapsed = Stopwatch.GetElapsedTime(started, lastCompletion);
        var completed = histogram.Count - failedJobs;
        var serverCpu = pid is { } p2 ? ProcessStats.CpuSeconds(p2) - serverCpu0 : (double?)null;
        return new ScenarioResult
        {
            Scenario = Name,
            Description = Description,
            Tool = "loadgen e2e",
            Connections = options.Connections,
            DurationSeconds = elapsed.TotalSeconds,
            Requests = histogram.Count,
            Errors = failedJobs + uploadErrors,
            RequestsPerSecond = completed / elapsed.TotalSeconds,
            LatencyMeanMs = histogram.Count == 0 ? 0 : histogram.SumMicros / histogram.Count / 1000.0,
            LatencyP50Ms = histogram.Percentile(50) / 1000.0,
            LatencyP95Ms = histogram.Percentile(95) / 1000.0,
            LatencyP99Ms = histogram.Percentile(99) / 1000.0,
            LatencyMaxMs = histogram.MaxMicros / 1000.0,
            ServerPeakRssMiB = pid is { } p3 ? ProcessStats.StatusMiB(p3, "VmHWM") : null,
            ServerCpuSeconds = serverCpu,
            ServerCpuPerRequestMicros = serverCpu is { } c && histogram.Count > 0 ? c / histogram.Count * 1e6 : null,
            LoadGenCpuSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - selfCpu0,
            LoadAverageStart = load0,
            LoadAverageEnd = ProcessStats.LoadAverage1(),
            FirstError = firstError,
        };
    }
}
