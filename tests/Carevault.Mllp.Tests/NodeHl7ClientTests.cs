using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
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
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

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

    private static async Task<List<(string, string)>> SendAsync(MllpListener listener, string[] controlIds, string? caPath)
    {
        string folder = await EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { Path.Combine(folder, "send.mjs"), listener.LocalEndPoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "2.5.1" },
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (caPath is not null)
        {
            start.ArgumentList.Add(caPath);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(controlIds.Select(MllpListenerTests.Oru).ToArray()));
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node exited with {process.ExitCode}: {await stderr}");
        return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("msa1").GetString()!, e.GetProperty("msa2").GetString()!))];
    }

    private static async Task<string> EnsureInstalledAsync([CallerFilePath] string source = "")
    {
        string folder = Path.Combine(Path.GetDirectoryName(source)!, "node");
        await InstallLock.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(folder, "node_modules", "node-hl7-client", "package.json")))
            {
                using Process npm = Process.Start(new ProcessStartInfo("npm")
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
