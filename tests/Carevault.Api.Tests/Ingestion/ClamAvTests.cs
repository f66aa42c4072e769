using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// Debian's clamd with a signature database this fixture writes (no official database can be downloaded here): MD5
/// hash signatures (<c>md5:size:name</c>, as <c>sigtool --md5</c> prints) of the EICAR file and of the harmless
/// Clamav.Test.File PDF of Debian's clamav-testfiles. See ../shared/ENVIRONMENT.md "ClamAV daemon".
/// </summary>
public sealed class ClamAvDaemon : IAsyncLifetime
{
    public const string TestPdf = "/usr/share/clamav-testfiles/clam.pdf";

    readonly string _directory = Path.Combine(Path.GetTempPath(), "carevault-clamd", Guid.NewGuid().ToString("N")[..12]);
    Process? _process;

    public string Socket => Path.Combine(_directory, "clamd.sock");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
#pragma warning disable CA5351 // ClamAV's hash signatures are MD5 by definition; nothing here relies on MD5 for security.
        static string Signature(byte[] content, string name) => $"{Convert.ToHexStringLower(MD5.HashData(content))}:{content.Length}:{name}";
#pragma warning restore CA5351
        await File.WriteAllLinesAsync(Path.Combine(_directory, "custom.hdb"),
            [Signature(Reports.Eicar(), "Carevault.Test.Eicar"), Signature(await File.ReadAllBytesAsync(TestPdf), "Carevault.Test.ClamPdf")]);
        var config = Path.Combine(_directory, "clamd.conf");
        await File.WriteAllTextAsync(config, $"DatabaseDirectory {_directory}\nLocalSocket {Socket}\nForeground yes\n");
        _process = Process.Start(new ProcessStartInfo("clamd", ["-c", config]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await PingAsync())
        {
            if (_process.HasExited) throw new InvalidOperationException($"clamd exited with {_process.ExitCode}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("clamd did not answer PING in 90 s");
            await Task.Delay(200);
        }
    }

    async Task<bool> PingAsync()
    {
        if (!File.Exists(Socket)) return false;
        try
        {
            using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
            await socket.SendAsync("zPING\0"u8.ToArray());
            var buffer = new byte[16];
            var n = await socket.ReceiveAsync(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }
}

/// <summary>Uploads stream through clamd's INSTREAM when Scanning:ClamAv:Endpoint is set.</summary>
public sealed class ClamAvTests(ClamAvDaemon clamd) : IClassFixture<ClamAvDaemon>
{
    static int OriginalCount(IngestionApp app) => Directory.Exists(app.OriginalsDirectory) ? Directory.GetFiles(app.OriginalsDirectory).Length : 0;

    [Fact]
    public async Task Upload_WhatClamdFinds_IsRefused_CleanFilesPass()
    {
        await using var app = await IngestionApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Ingestion:Workers"] = "0",
            ["Scanning:ClamAv:Endpoint"] = "unix:" + clamd.Socket,
        });
        var (_, _, http) = await app.NewHospitalAsync();

        var infected = await IngestionApp.UploadAsync(http, await File.ReadAllBytesAsync(ClamAvDaemon.TestPdf), "application/pdf");
        var clean = await IngestionApp.UploadAsync(http, Reports.Pdf(), "application/pdf");

        var problem = await ProblemAssert.IsProblemAsync(infected, (HttpStatusCode)422, "malware-detected");
        Assert.Contains("Carevault.Test.ClamPdf", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, clean.StatusCode);
        Assert.Equal(1, OriginalCount(app));
        var jobs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs", UriKind.Relative))).RootElement.GetProperty("items");
        Assert.Equal(1, jobs.GetArrayLength());
    }

    [Fact]
    public async Task Upload_WhenClamdIsUnreachable_Answers503AndStoresNothing()
    {
        await using var app = await IngestionApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Ingestion:Workers"] = "0",
            ["Scanning:ClamAv:Endpoint"] = "unix:" + clamd.Socket + ".missing",
        });
        var (_, _, http) = await app.NewHospitalAsync();

        var response = await IngestionApp.UploadAsync(http, Reports.Pdf(), "application/pdf");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.Equal(0, OriginalCount(app));
    }
}
