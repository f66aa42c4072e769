using System.Text.Json;
using Carevault.Ingestion.Jobs;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>The queue: several workers (and servers) share it without doing a job twice; a dead worker's job is taken over once.</summary>
public sealed class WorkerTests
{
    static async Task<int> TotalAsync(HttpClient http, string type) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"/fhir/{type}?_total=accurate&_count=0", UriKind.Relative))).RootElement.GetProperty("total").GetInt32();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Workers_SeveralLoopsAndServers_ProcessEveryJobExactlyOnce(DatabaseProvider provider)
    {
        const int Jobs = 24;
        var settings = new Dictionary<string, string?> { ["Ingestion:Workers"] = "3" };
        await using var first = await IngestionApp.StartAsync(provider, settings);
        // PostgreSQL: a second server process shares the queue; SQLite is one process (one writer), so one server.
        await using var second = provider == DatabaseProvider.Postgres ? IngestionApp.StartBeside(first, settings) : null;
        var (tenant, _, http) = await first.NewHospitalAsync();
        var (_, other) = second is null ? (null, http) : await second.NewClientAsync(tenant, "system/*.cruds");

        var ids = await Task.WhenAll(Enumerable.Range(0, Jobs).Select(i =>
            IngestionApp.SubmitAsync(i % 2 == 0 ? http : other, IngestionApp.Utf8(Reports.PatientAndObservation($"MRN-{i}")), "application/fhir+json")));
        var jobs = new List<JsonElement>();
        foreach (var id in ids) jobs.Add(await IngestionApp.WaitForJobAsync(http, id));

        Assert.All(jobs, j => Assert.Equal("completed", j.GetProperty("status").GetString()));
        Assert.All(jobs, j => Assert.Equal(1, j.GetProperty("attempts").GetInt32()));
        var resources = jobs.SelectMany(j => j.GetProperty("resources").EnumerateArray().Select(r => r.GetString())).ToList();
        Assert.Equal(Jobs * 3, resources.Distinct().Count());
        Assert.Equal(Jobs, await TotalAsync(http, "Patient"));
        Assert.Equal(Jobs, await TotalAsync(http, "Observation"));
        Assert.Equal(Jobs, await TotalAsync(http, "Provenance"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Rerun_JobWhoseWorkerDiedMidJob_CompletesOnceAfterItsLease_AndTheLateWorkerCommitsNothing(DatabaseProvider provider)
    {
        await using var app = await IngestionApp.StartAsync(provider, new Dictionary<string, string?> { ["Ingestion:Workers"] = "0", ["Ingestion:LeaseSeconds"] = "1" });
        var (_, _, http) = await app.NewHospitalAsync();
        var jobId = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-30")), "application/fhir+json");
        var store = app.Services.GetRequiredService<JobStore>();
        var pipeline = app.Services.GetRequiredService<JobPipeline>();
        // Long enough that the early claim below still falls inside it on a loaded machine (it failed once at 1 s).
        var lease = TimeSpan.FromSeconds(3);

        // A worker claims the job and "dies" (never reports back).
        var dead = await store.ClaimAsync("dead-worker", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lease, default);
        Assert.Equal(jobId, dead?.Id);
        Assert.Equal("in-progress", (await IngestionApp.WaitForJobAsync(http, jobId, "in-progress")).GetProperty("status").GetString());
        Assert.Null(await store.ClaimAsync("early-worker", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lease, default));

        await Task.Delay(lease + TimeSpan.FromMilliseconds(200));
        Assert.True(await pipeline.RunNextAsync("second-worker", default));
        var late = await pipeline.RunAsync(dead!, "dead-worker", default);

        var job = await IngestionApp.WaitForJobAsync(http, jobId);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Equal("lease-lost", late);
        Assert.Equal(1, await TotalAsync(http, "Patient"));
        Assert.Equal(1, await TotalAsync(http, "Observation"));
        Assert.Equal(1, await TotalAsync(http, "Provenance"));
        Assert.False(await pipeline.RunNextAsync("third-worker", default));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Rerun_JobThatKeepsKillingItsWorkers_GoesToTheDeadLetters(DatabaseProvider provider)
    {
        await using var app = await IngestionApp.StartAsync(provider, new Dictionary<string, string?> { ["Ingestion:Workers"] = "0", ["Ingestion:MaxAttempts"] = "2" });
        var (_, _, http) = await app.NewHospitalAsync();
        var jobId = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-31")), "application/fhir+json");
        var store = app.Services.GetRequiredService<JobStore>();
        var pipeline = app.Services.GetRequiredService<JobPipeline>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Two claims whose leases ran out (each worker died), then a third claim.
        Assert.NotNull(await store.ClaimAsync("w1", now, TimeSpan.Zero, default));
        Assert.NotNull(await store.ClaimAsync("w2", now, TimeSpan.Zero, default));
        var third = await store.ClaimAsync("w3", now, TimeSpan.FromMinutes(1), default);
        var outcome = await pipeline.RunAsync(third!, "w3", default);

        Assert.Equal("dead-letter", outcome);
        var job = await IngestionApp.WaitForJobAsync(http, jobId);
        Assert.Equal("attempts-exhausted", job.GetProperty("problem").GetProperty("code").GetString());
        Assert.Equal(0, await TotalAsync(http, "Patient"));
    }
}
