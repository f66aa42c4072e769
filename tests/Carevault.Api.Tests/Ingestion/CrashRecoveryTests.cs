using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.TestKit;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>The real server binary killed outright in the middle of a job: after a restart the job completes, once.</summary>
public sealed partial class CrashRecoveryTests : IDisposable
{
    const int Observations = 900; // with the Patient and the Provenance, under Records:MaxBundleEntries (1000)
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
    }

    static string LargeTransaction()
    {
        var json = new StringBuilder("""{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:9b2b8a4e-77f7-4c51-a9f5-8a7c0d2f1e01","resource":{"resourceType":"Patient","name":[{"family":"Crash"}]},"request":{"method":"POST","url":"Patient"}}""");
        for (var i = 0; i < Observations; i++)
            json.Append(System.Globalization.CultureInfo.InvariantCulture, $$$""",{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":{{{i}}},"unit":"kg"},"subject":{"reference":"urn:uuid:9b2b8a4e-77f7-4c51-a9f5-8a7c0d2f1e01"}},"request":{"method":"POST","url":"Observation"}}""");
        return json.Append("]}").ToString();
    }

    [Fact]
    public async Task Sigkill_MidJob_TheJobCompletesAfterRestart_WithoutDuplicateResources()
    {
        string[] data = ["--data-dir", _dataDirectory];
        Assert.Equal(0, (await CarevaultProcess.RunAsync(["tenants", "create", "crash-h", "--name", "Crash Hospital", .. data])).ExitCode);
        var created = await CarevaultProcess.RunAsync(["clients", "create", "--tenant", "crash-h", "--name", "LIS", "--scopes", "system/*.cruds", .. data]);
        Assert.Equal(0, created.ExitCode);
        var clientId = ClientId().Match(created.Output).Groups[1].Value;
        var secret = ClientSecret().Match(created.Output).Groups[1].Value;
        var port = CarevaultProcess.FreePort();
        string[] args = ["serve", "--urls", $"http://127.0.0.1:{port}", .. data];
        var environment = new Dictionary<string, string> { ["CAREVAULT_INGESTION__LEASESECONDS"] = "15", ["CAREVAULT_INGESTION__POLLINTERVALMS"] = "200" };
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string jobId;

        using (var server = CarevaultProcess.Start(args, environment))
        {
            await server.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
            var tokenResponse = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
            }));
            var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            // The 202 may come only after the job's commit (the upload's audit record waits for the write lock the job's
            // transaction holds), so the job is watched in the database while the upload runs: in WAL mode that read
            // waits for no writer. The server is killed as soon as a worker has claimed the job.
            var submitted = IngestionApp.SubmitAsync(http, Encoding.UTF8.GetBytes(LargeTransaction()), "application/fhir+json");
            await using (var db = TestDatabase.OpenDataFolder(_dataDirectory))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (true)
                {
                    await using (var connection = await db.OpenAsync(default))
                        jobId = (await connection.QueryAsync<string>("SELECT id FROM ingestion_jobs WHERE status = 'in-progress'")).SingleOrDefault() ?? "";
                    if (jobId.Length > 0) break;
                    Assert.True(DateTime.UtcNow < deadline && !submitted.IsCompleted, "The job was not seen in progress.");
                    await Task.Delay(10);
                }
            }
            server.Signal(CarevaultProcess.SIGKILL);
            await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await Record.ExceptionAsync(() => submitted); // its answer may be lost with the server: the job is already stored
        }
        SqliteConnection.ClearAllPools();

        using var restarted = CarevaultProcess.Start(args, environment);
        await restarted.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
        var job = await IngestionApp.WaitForJobAsync(http, jobId, timeout: TimeSpan.FromSeconds(120));

        Assert.True(job.GetProperty("status").GetString() == "completed", job.GetRawText());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32()); // the killed attempt counted: it was claimed, never finished
        Assert.Equal(Observations + 2, job.GetProperty("resources").GetArrayLength());
        var total = await http.GetFromJsonAsync<JsonElement>(new Uri("/fhir/Observation?_total=accurate&_count=0", UriKind.Relative));
        Assert.Equal(Observations, total.GetProperty("total").GetInt32());
        var patients = await http.GetFromJsonAsync<JsonElement>(new Uri("/fhir/Patient?_total=accurate&_count=0", UriKind.Relative));
        Assert.Equal(1, patients.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"/api/reports/{jobId}/original", UriKind.Relative))).StatusCode);
    }

    [GeneratedRegex(@"client_id:\s+(\S+)")]
    private static partial Regex ClientId();

    [GeneratedRegex(@"client_secret:\s+(\S+)")]
    private static partial Regex ClientSecret();
}
