using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.TestKit;
using Microsoft.Data.Sqlite;

namespace Carevault.Api.Tests.Cli;

/// <summary>The embedded database survives the server being killed outright in the middle of writing.</summary>
public sealed partial class CrashTests : IDisposable
{
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Sigkill_DuringWrites_LeavesADatabaseThatPassesIntegrityCheckAndServesAgain()
    {
        var port = CarevaultProcess.FreePort();
        string[] args = ["serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", _dataDirectory];
        var baseUri = new Uri($"http://127.0.0.1:{port}");
        string password;
        var writes = 0;
        using (var server = CarevaultProcess.Start(args))
        {
            await server.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
            password = PasswordLine().Match(server.Output).Groups[1].Value;
            Assert.NotEmpty(password);

            // Each successful sign-in is a write transaction (user row update + session insert).
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                using var http = new HttpClient { BaseAddress = baseUri };
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var response = await http.PostAsJsonAsync("/api/auth/login", new { tenant = "system", username = "admin", password }, stop.Token);
                        if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref writes);
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();

            while (Volatile.Read(ref writes) < 20) await Task.Delay(20);
            server.Signal(CarevaultProcess.SIGKILL);
            await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        await using (var db = TestDatabase.OpenDataFolder(_dataDirectory))
        await using (var connection = await db.OpenAsync(default))
        {
            await using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", await check.ExecuteScalarAsync());
            check.CommandText = "SELECT count(*) FROM sessions";
            Assert.True((long)(await check.ExecuteScalarAsync())! >= writes); // every acknowledged sign-in is still there
        }
        SqliteConnection.ClearAllPools();

        using var restarted = CarevaultProcess.Start(args);
        await restarted.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = baseUri };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/auth/login", new { tenant = "system", username = "admin", password })).StatusCode);
    }

    [GeneratedRegex("password: ([A-Za-z0-9]{24})")]
    private static partial Regex PasswordLine();
}
