using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Carevault.Storage.Blobs;

namespace Carevault.Storage.Tests.Blobs;

/// <summary>
/// Runs npm's s3rver 3.7.1 on a free loopback port for the S3 tests and stops it on dispose. Uses the copy
/// installed by <c>npm ci --prefix tests/Carevault.Storage.Tests/Blobs/s3rver</c> when present, else
/// <c>npx --yes s3rver@3.7.1</c>. If it cannot start, the constructor throws and every S3 test fails (never skips).
/// </summary>
public sealed class S3rverFixture : IDisposable
{
    public const string Bucket = "carevault-test";
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    readonly Process _process;
    readonly string _dataDirectory;
    readonly StringBuilder _output = new();

    public S3rverFixture()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "carevault-s3rver", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
        int port = FreePort();
        ServiceUrl = $"http://127.0.0.1:{port}";

        string[] args = ["-d", _dataDirectory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--configure-bucket", Bucket, "-s"];
        var installed = Path.Combine(ToolFolder(), "node_modules", "s3rver", "bin", "s3rver.js");
        var start = File.Exists(installed)
            ? new ProcessStartInfo("node") { ArgumentList = { installed } }
            : new ProcessStartInfo("npx") { ArgumentList = { "--yes", "s3rver@3.7.1" } };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Directory.Delete(_dataDirectory, recursive: true);
            throw new InvalidOperationException(
                $"Cannot run '{start.FileName}' for the S3 tests: install Node.js and run 'npm ci --prefix {ToolFolder()}'.", ex);
        }
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            WaitUntilReady();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ServiceUrl { get; }

    /// <summary>A store on the shared bucket under a key prefix of its own, so tests never see each other's objects.</summary>
    public S3BlobStore CreateStore(string? prefix = null, int partSize = 8 * 1024 * 1024) => new(Options(prefix ?? $"t-{Guid.NewGuid():N}", partSize));

    public S3BlobStoreOptions Options(string prefix, int partSize = 8 * 1024 * 1024) => new()
    {
        ServiceUrl = ServiceUrl,
        Bucket = Bucket,
        Prefix = prefix,
        Region = "us-east-1",
        ForcePathStyle = true,
        AccessKeyId = "S3RVER",
        SecretAccessKey = "S3RVER",
        PartSize = partSize,
    };

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    void WaitUntilReady()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before it was ready:\n{Output}");
            try
            {
                using var response = http.GetAsync($"{ServiceUrl}/{Bucket}").GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"s3rver did not answer within {StartTimeout.TotalSeconds} s:\n{Output}");
    }

    string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string ToolFolder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "s3rver");
}

[CollectionDefinition(Name)]
public sealed class S3rverGroup : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
