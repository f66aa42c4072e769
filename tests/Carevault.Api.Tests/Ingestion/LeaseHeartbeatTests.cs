using System.Text.Json;
using Carevault.Ingestion.Processing;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// A job that runs longer than its lease: the worker's heartbeat keeps renewing the lease, so the other worker loop
/// (and, on PostgreSQL, a second server on the same queue) never takes it over while it is alive.
/// A dead worker's lease runs out and the job is redone once: <see cref="WorkerTests"/>.
/// </summary>
public sealed class LeaseHeartbeatTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task LongJob_OutlivesItsLease_IsNeverTakenOver_AndCompletesOnce(DatabaseProvider provider)
    {
        var mapper = new TestMapper();
        // A 2 s lease renewed every third of it; the mapping takes 5 s. Without renewal another loop would claim the
        // job after 2 s and the job would show a second attempt and a second mapping. (A 1 s lease left a renewal
        // delayed by the machine's other work too little slack.)
        var settings = new Dictionary<string, string?> { ["Ingestion:Workers"] = "2", ["Ingestion:LeaseSeconds"] = "2" };
        void Mapper(IServiceCollection services) => services.AddSingleton<ReportMapping>(mapper.Map);
        await using var first = await IngestionApp.StartAsync(provider, settings, Mapper);
        await using var second = provider == DatabaseProvider.Postgres ? IngestionApp.StartBeside(first, settings, Mapper) : null;
        var (_, _, http) = await first.NewHospitalAsync();
        mapper.Delay = TimeSpan.FromSeconds(5);

        using var form = new MultipartFormDataContent { { new StringContent("urn:oid:1.2.3|P-LONG"), "patientIdentifier" } };
        var file = new ByteArrayContent(IngestionApp.Utf8(Reports.Hl7));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/hl7-v2");
        form.Add(file, "file", "oru.hl7");
        var accepted = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/reports", UriKind.Relative), form)).Content.ReadAsStringAsync()).RootElement;
        var jobId = accepted.GetProperty("jobId").GetString()!;
        var job = await IngestionApp.WaitForJobAsync(http, jobId, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.Equal(1, mapper.Calls);
        var reports = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/DiagnosticReport?_total=accurate&_count=0", UriKind.Relative)));
        Assert.Equal(1, reports.RootElement.GetProperty("total").GetInt32());
    }
}
