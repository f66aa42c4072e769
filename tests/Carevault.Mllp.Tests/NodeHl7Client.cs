using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Carevault.Mllp.Tests;

/// <summary>
/// A real MLLP client written by others — npm's node-hl7-client 4.0.0 through <c>node/send.mjs</c> beside this file,
/// installed by <c>npm ci --prefix tests/Carevault.Mllp.Tests/node</c> (build.sh does it; this runs it when the
/// folder is missing). Also compiled into Carevault.Api.Tests (a linked file), which sends to the server's listener.
/// </summary>
public static class NodeHl7Client
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>Sends the messages over one connection (TLS when <paramref name="caPath"/> is given); one (MSA-1, MSA-2) per ACK.</summary>
    public static async Task<List<(string Msa1, string Msa2)>> SendAsync(int port, IEnumerable<string> messages, string? caPath = null)
    {
        string folder = await EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { Path.Combine(folder, "send.mjs"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "2.5.1" },
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
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(messages.ToArray()));
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
