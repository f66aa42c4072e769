using System.Text;
using System.Text.Json;
using Carevault.Mllp.Tests;
using Carevault.Storage;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// What the MLLP intake answers, seen by npm's node-hl7-client (the real client the MLLP tests use): AA once the job
/// is durable; AR for refusals a resend cannot change (unsupported type or event, too large, MSH-10 reused for other
/// bytes), nothing stored; AE while the scanner gives no verdict, so the sender keeps the message.
/// </summary>
public sealed class MllpAcknowledgementTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    static string Oru(string controlId, int observations = 1, string type = "ORU^R01")
    {
        var message = new StringBuilder($"MSH|^~\\&|LAB|RIVERBEND|EHR|HOSP|202611210815||{type}|{controlId}|P|2.5.1\rPID|1||55501^^^HOSP^MR||Okafor^Ada\rOBR|1||ACC1|2345-7^Glucose^LN|||202611210700\r");
        for (var i = 1; i <= observations; i++) message.Append(System.Globalization.CultureInfo.InvariantCulture, $"OBX|{i}|NM|2345-7^Glucose^LN||98|mg/dL|70-99|N|||F\r");
        return message.ToString();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task NodeHl7Client_PermanentRefusalsGetAr_TransientGetAe_AcceptedGetsAa(DatabaseProvider provider)
    {
        var first = await apps.WorkingAsync(provider);
        var (tenantId, clientId, http) = await first.NewHospitalAsync();
        await using var mllp = IngestionApp.StartBeside(first, new Dictionary<string, string?>
        {
            ["Mllp:Port"] = "0", ["Mllp:ClientId"] = clientId, ["Ingestion:MaxUploadBytes"] = "2000",
        });
        var port = mllp.Services.GetRequiredService<Carevault.Ingestion.Mllp.MllpIntake.Service>().LocalEndPoint!.Port;

        var acks = await NodeHl7Client.SendAsync(port,
        [
            Oru("ACK-OK-1"),
            Oru("ACK-SIU", type: "SIU^S12"),
            Oru("ACK-R03", type: "ORU^R03"),
            Oru("ACK-BIG", observations: 80),
            Oru("ACK-OK-1", observations: 2), // the same MSH-10 for other bytes
        ]);

        Assert.Equal([("AA", "ACK-OK-1"), ("AR", "ACK-SIU"), ("AR", "ACK-R03"), ("AR", "ACK-BIG"), ("AR", "ACK-OK-1")], acks);
        var unsupported = await MllpSocket.ExchangeAsync(port, Oru("ACK-SIU-RAW", type: "SIU^S12"));
        Assert.Contains("MSA|AR|ACK-SIU-RAW", unsupported, StringComparison.Ordinal);
        Assert.Matches(@"ERR\|[^\r]*\|200\^Unsupported message type", unsupported);
        var jobs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement.GetProperty("items");
        Assert.Equal(1, jobs.GetArrayLength()); // refused messages stored nothing
        // Every message is in the trail as an upload by the MLLP client before its ACK: the accepted one with its job.
        var job = jobs[0].GetProperty("jobId").GetString();
        await using (var db = first.Database.OpenDb())
        await using (var connection = await db.OpenAsync(default))
        {
            var records = (await connection.QueryAsync<(string ActorId, long Status, string Entities, string UserAgent, string SourceIp)>(
                "SELECT actor_id, status, entities, user_agent, source_ip FROM audit_records WHERE tenant_id = @tenantId AND action = 'upload' ORDER BY seq",
                new { tenantId })).ToList();
            Assert.Equal([202L, 415L, 415L, 422L, 422L, 415L], records.Select(r => r.Status));
            Assert.All(records, r => Assert.Equal((clientId, "mllp", "127.0.0.1"), (r.ActorId, r.UserAgent, r.SourceIp)));
            Assert.Contains($"Job/{job}", records[0].Entities, StringComparison.Ordinal);
        }

        // The virus scanner is unreachable: no verdict, nothing stored, AE so the sender retries later.
        await using var scannerDown = IngestionApp.StartBeside(first, new Dictionary<string, string?>
        {
            ["Mllp:Port"] = "0", ["Mllp:ClientId"] = clientId, ["Scanning:ClamAv:Endpoint"] = "unix:/nonexistent/clamd.ctl",
        });
        var downPort = scannerDown.Services.GetRequiredService<Carevault.Ingestion.Mllp.MllpIntake.Service>().LocalEndPoint!.Port;

        Assert.Equal([("AE", "ACK-DOWN")], await NodeHl7Client.SendAsync(downPort, [Oru("ACK-DOWN")]));
        jobs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement.GetProperty("items");
        Assert.Equal(1, jobs.GetArrayLength());
    }
}
