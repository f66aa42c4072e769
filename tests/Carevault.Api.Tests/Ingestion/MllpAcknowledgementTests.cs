using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Carevault.Mllp;
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
    static readonly SemaphoreSlim InstallLock = new(1, 1);

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

        var acks = await SendWithNodeClientAsync(port,
        [
            Oru("ACK-OK-1"),
            Oru("ACK-SIU", type: "SIU^S12"),
            Oru("ACK-R03", type: "ORU^R03"),
            Oru("ACK-BIG", observations: 80),
            Oru("ACK-OK-1", observations: 2), // the same MSH-10 for other bytes
        ]);

        Assert.Equal([("AA", "ACK-OK-1"), ("AR", "ACK-SIU"), ("AR", "ACK-R03"), ("AR", "ACK-BIG"), ("AR", "ACK-OK-1")], acks);
        var unsupported = await ExchangeAsync(port, Oru("ACK-SIU-RAW", type: "SIU^S12"));
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

        Assert.Equal([("AE", "ACK-DOWN")], await SendWithNodeClientAsync(downPort, [Oru("ACK-DOWN")]));
        jobs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement.GetProperty("items");
        Assert.Equal(1, jobs.GetArrayLength());
    }

    static async Task<string> ExchangeAsync(int port, string message)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(MllpFraming.Frame(Encoding.UTF8.GetBytes(message)));
        var buffer = new byte[4096];
        var received = new List<byte>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!received.Contains(MllpFraming.EndBlock))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) break;
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }
        return Encoding.UTF8.GetString([.. received]);
    }

    /// <summary>node-hl7-client 4.0.0 via tests/Carevault.Mllp.Tests/node/send.mjs: one (MSA-1, MSA-2) per ACK.</summary>
    static async Task<List<(string, string)>> SendWithNodeClientAsync(int port, string[] messages)
    {
        var folder = await EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { Path.Combine(folder, "send.mjs"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "2.5.1" },
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(messages));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node exited with {process.ExitCode}: {await stderr}");
        return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("msa1").GetString()!, e.GetProperty("msa2").GetString()!))];
    }

    static async Task<string> EnsureInstalledAsync([CallerFilePath] string source = "")
    {
        var folder = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "Carevault.Mllp.Tests", "node"));
        await InstallLock.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(folder, "node_modules", "node-hl7-client", "package.json")))
            {
                using var npm = Process.Start(new ProcessStartInfo("npm")
                {
                    ArgumentList = { "ci", "--prefix", folder, "--no-audit", "--no-fund", "--loglevel=error" },
                    UseShellExecute = false,
                }) ?? throw new InvalidOperationException("npm did not start");
                await npm.WaitForExitAsync();
                Assert.True(npm.ExitCode == 0, $"npm ci --prefix {folder} failed ({npm.ExitCode})");
            }
        }
        finally
        {
            InstallLock.Release();
        }
        return folder;
    }
}
