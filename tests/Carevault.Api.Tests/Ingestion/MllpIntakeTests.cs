using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>HL7 v2 over MLLP into the same intake as uploads: AA only once the job is durable; resends find the same job.</summary>
public sealed class MllpIntakeTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    const string Oru = "MSH|^~\\&|LAB|RIVERBEND|EHR|HOSP|202611210815||ORU^R01|MLLP0001|P|2.5.1\rPID|1||55501^^^HOSP^MR||Okafor^Ada\r"
        + "OBR|1||ACC1|2345-7^Glucose^LN|||202611210700\rOBX|1|NM|2345-7^Glucose^LN||98|mg/dL|70-99|N|||F\r";

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Message_IsAcknowledgedAfterItsJobExists_AndAResendFindsTheSameJob(DatabaseProvider provider)
    {
        var first = await apps.WorkingAsync(provider);
        var (_, clientId, http) = await first.NewHospitalAsync();
        await using var mllp = IngestionApp.StartBeside(first, new Dictionary<string, string?> { ["Mllp:Port"] = "0", ["Mllp:ClientId"] = clientId });
        var port = mllp.Services.GetRequiredService<Carevault.Ingestion.Mllp.MllpIntake.Service>().LocalEndPoint!.Port;

        var ack = await MllpSocket.ExchangeAsync(port, Oru);
        var resent = await MllpSocket.ExchangeAsync(port, Oru);
        var garbage = await MllpSocket.ExchangeAsync(port, "not an HL7 message");

        Assert.Contains("MSA|AA|MLLP0001", ack, StringComparison.Ordinal);
        Assert.Contains("MSA|AA|MLLP0001", resent, StringComparison.Ordinal);
        Assert.Contains("MSA|AR", garbage, StringComparison.Ordinal);
        var jobs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement;
        var job = Assert.Single(jobs.GetProperty("items").EnumerateArray());
        var done = await IngestionApp.WaitForJobAsync(http, job.GetProperty("jobId").GetString()!);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Contains(done.GetProperty("resources").EnumerateArray(), r => r.GetString()!.StartsWith("Observation/", StringComparison.Ordinal));
    }
}
