using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// A FHIR client nobody here wrote — npm's fhir-kit-client 2.0.3 — drives the real server binary: a hospital client
/// registered from the command line gets a token and runs fhirkit/run.mjs (capabilities, create, read, update, patch,
/// vread, conditional update, transaction with ifNoneExist, search with its own paging, _include, histories,
/// delete, a bulk $export kick-off and its polling). Needs <c>npm ci --prefix tests/Carevault.Api.Tests/Fhir/fhirkit</c> (build.sh runs it); fails, never skips.
/// </summary>
public sealed partial class FhirKitClientTests : IDisposable
{
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
    }

    static string ScriptFolder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "fhirkit");

    [GeneratedRegex(@"client_id:\s+(\S+)")]
    private static partial Regex ClientIdLine();

    [GeneratedRegex(@"client_secret:\s+(\S+)")]
    private static partial Regex ClientSecretLine();

    [Fact]
    public async Task FhirKitClient_CreatesReadsUpdatesSearchesAndTransacts()
    {
        var folder = ScriptFolder();
        Assert.True(File.Exists(Path.Combine(folder, "node_modules", "fhir-kit-client", "package.json")),
            $"fhir-kit-client is not installed: run npm ci --prefix {folder}");
        string[] data = ["--data-dir", _dataDirectory];
        Assert.Equal(0, (await CarevaultProcess.RunAsync(["tenants", "create", "kit-hospital", "--name", "Kit Hospital", .. data])).ExitCode);
        var client = await CarevaultProcess.RunAsync(["clients", "create", "--tenant", "kit-hospital", "--name", "fhirkit", "--scopes", "system/*.cruds", .. data]);
        Assert.Equal(0, client.ExitCode);
        var port = CarevaultProcess.FreePort();
        using var server = CarevaultProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}", .. data]);
        await server.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var tokenResponse = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = ClientIdLine().Match(client.Output).Groups[1].Value,
            ["client_secret"] = ClientSecretLine().Match(client.Output).Groups[1].Value,
        }));
        tokenResponse.EnsureSuccessStatusCode();
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;

        var (exitCode, output) = await RunNodeAsync(folder, $"http://127.0.0.1:{port}/fhir", token);

        Assert.True(exitCode == 0, $"node run.mjs failed ({exitCode}):\n{output}\nserver:\n{server.Output}");
        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.True(result.GetProperty("capabilities").GetProperty("transaction").GetBoolean());
        Assert.True(result.GetProperty("capabilities").GetProperty("historySystem").GetBoolean());
        Assert.True(result.GetProperty("capabilities").GetProperty("patientPatch").GetBoolean());
        Assert.Equal("single", result.GetProperty("capabilities").GetProperty("conditionalDelete").GetString());
        var id = result.GetProperty("create").GetProperty("id").GetString();
        Assert.Equal(201, result.GetProperty("create").GetProperty("status").GetInt32());
        Assert.Equal("1", result.GetProperty("create").GetProperty("versionId").GetString());
        Assert.Equal("Kitson", result.GetProperty("read").GetProperty("family").GetString());
        Assert.Equal("2", result.GetProperty("update").GetProperty("versionId").GetString());
        Assert.True(result.GetProperty("update").GetProperty("active").GetBoolean());
        Assert.Equal("3", result.GetProperty("patch").GetProperty("versionId").GetString());
        Assert.Equal("Kitsune", result.GetProperty("patch").GetProperty("family").GetString());
        Assert.Equal("Kitson", result.GetProperty("vread").GetProperty("family").GetString());
        Assert.Equal(id, result.GetProperty("conditionalUpdate").GetProperty("id").GetString());
        Assert.Equal("4", result.GetProperty("conditionalUpdate").GetProperty("versionId").GetString());
        Assert.Equal("transaction-response", result.GetProperty("transaction").GetProperty("type").GetString());
        Assert.Equal(["200 OK", "201 Created", "201 Created", "201 Created"], result.GetProperty("transaction").GetProperty("statuses").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal([$"Patient/{id}"], result.GetProperty("transaction").GetProperty("subjects").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(2, result.GetProperty("search").GetProperty("pages").GetInt32());
        Assert.Equal([75, 72, 71], result.GetProperty("search").GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(["include", "match", "match", "match"], result.GetProperty("include").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["W/\"4\"", "W/\"3\"", "W/\"2\"", "W/\"1\""], result.GetProperty("history").GetProperty("instance").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(3, result.GetProperty("history").GetProperty("type").GetInt32());
        Assert.Equal(7, result.GetProperty("history").GetProperty("system").GetInt32());
        Assert.Equal(410, result.GetProperty("afterDelete").GetProperty("status").GetInt32());
        Assert.Equal("OperationOutcome", result.GetProperty("afterDelete").GetProperty("outcome").GetString());
        Assert.Equal(202, result.GetProperty("export").GetProperty("kickOff").GetInt32());
        Assert.Equal("OperationOutcome", result.GetProperty("export").GetProperty("outcome").GetString());
        Assert.True(result.GetProperty("export").GetProperty("requiresAccessToken").GetBoolean());
        Assert.Equal(["Patient:1"], result.GetProperty("export").GetProperty("output").EnumerateArray().Select(v => v.GetString()));
    }

    static async Task<(int ExitCode, string Output)> RunNodeAsync(string folder, string baseUrl, string token)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("run.mjs");
        info.Environment["CAREVAULT_FHIR_BASE"] = baseUrl;
        info.Environment["CAREVAULT_TOKEN"] = token;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
