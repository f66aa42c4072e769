using System.Collections.Concurrent;
using Carevault.Hl7v2;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Mllp.Tests;

/// <summary>
/// A real MLLP client written by others — npm's node-hl7-client 4.0.0, installed by
/// <c>npm ci --prefix tests/Carevault.Mllp.Tests/node</c> (build.sh does it; the test runs it when the folder is
/// missing) — sends messages to the listener and checks the ACKs it gets back. Fails, never skips, without Node.
/// </summary>
public sealed class NodeHl7ClientTests
{
    [Fact]
    public async Task NodeHl7Client_SendsThreeMessages_ReceivesAnAaForEach()
    {
        var queued = new ConcurrentQueue<string>();
        await using var listener = await StartAsync(new MllpOptions { Port = 0 }, queued);

        List<(string Msa1, string Msa2)> acks = await SendAsync(listener, ["N-1", "N-2", "N-3"], caPath: null);

        Assert.Equal([("AA", "N-1"), ("AA", "N-2"), ("AA", "N-3")], acks);
        Assert.Equal(["N-1", "N-2", "N-3"], queued);
    }

    [Fact]
    public async Task NodeHl7Client_OverTls_ReceivesAnAa()
    {
        using MllpListenerTests.TestCertificate certificate = MllpListenerTests.TestCertificate.Create();
        var queued = new ConcurrentQueue<string>();
        await using var listener = await StartAsync(
            new MllpOptions { Port = 0, CertificatePath = certificate.CertificatePemPath, CertificateKeyPath = certificate.KeyPemPath }, queued);

        List<(string Msa1, string Msa2)> acks = await SendAsync(listener, ["S-1"], certificate.CertificatePemPath);

        Assert.Equal([("AA", "S-1")], acks);
        Assert.Equal(["S-1"], queued);
    }

    private static async Task<MllpListener> StartAsync(MllpOptions options, ConcurrentQueue<string> queued)
    {
        var listener = new MllpListener(options, MllpHandlers.AcknowledgeAfter((Hl7Message m, CancellationToken _) =>
        {
            queued.Enqueue(m.ControlId);
            return Task.CompletedTask;
        }), NullLogger<MllpListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        return listener;
    }

    private static Task<List<(string Msa1, string Msa2)>> SendAsync(MllpListener listener, string[] controlIds, string? caPath) =>
        NodeHl7Client.SendAsync(listener.LocalEndPoint!.Port, controlIds.Select(MllpListenerTests.Oru), caPath);
}
