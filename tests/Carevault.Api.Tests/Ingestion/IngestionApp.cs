using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Clients;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Server;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// The real server in-process for ingestion tests: its own throwaway database (or another app's, to run several
/// instances on one PostgreSQL database), fast polling workers, and a hook to add services (a test mapper).
/// </summary>
public sealed class IngestionApp : IAsyncDisposable
{
    public const string Password = "ingestion test passphrase";

    readonly TestDatabase? _ownedDatabase;
    readonly WebApplicationFactory<Program> _factory;

    IngestionApp(TestDatabase database, bool owns, IReadOnlyDictionary<string, string?>? extra, Action<IServiceCollection>? services)
    {
        Database = database;
        _ownedDatabase = owns ? database : null;
        var settings = database.Settings();
        settings["Ingestion:PollIntervalMs"] = "100";
        settings["Ingestion:RetryDelayMs"] = "50";
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
            web.ConfigureLogging(logging => logging.AddProvider(Logs));
            if (services is not null) web.ConfigureServices(services);
        });
    }

    public TestDatabase Database { get; }

    public CapturedLogs Logs { get; } = new();

    public IServiceProvider Services => _factory.Services;

    public DatabaseProvider Provider => Database.Provider;

    /// <summary>Where the local blob store keeps originals.</summary>
    public string OriginalsDirectory => Path.Combine(Database.Directory, "blobs", "originals");

    public static async Task<IngestionApp> StartAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var app = new IngestionApp(database, true, settings, services);
        _ = app._factory.Server;
        return app;
    }

    /// <summary>A second server process on the same database (and blob folder).</summary>
    public static IngestionApp StartBeside(IngestionApp first, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var app = new IngestionApp(first.Database, false, settings, services);
        _ = app._factory.Server;
        return app;
    }

    public HttpClient CreateClient() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>A new tenant with one client holding <paramref name="scopes"/>: its id and a client carrying its token.</summary>
    public async Task<(string TenantId, string ClientId, HttpClient Http)> NewHospitalAsync(string scopes = "system/*.cruds")
    {
        var tenantId = "h-" + Guid.NewGuid().ToString("N")[..12];
        await Services.GetRequiredService<TenantStore>().CreateAsync(tenantId, "Test Hospital " + tenantId, default);
        var (clientId, http) = await NewClientAsync(tenantId, scopes);
        return (tenantId, clientId, http);
    }

    public async Task<(string ClientId, HttpClient Http)> NewClientAsync(string tenantId, string scopes)
    {
        Assert.True(ScopeSet.TryParse(scopes, out var granted));
        var issued = await Services.GetRequiredService<ClientStore>().CreateAsync(tenantId, "LIS", granted, null, default);
        var http = CreateClient();
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = issued.Client.Id, ["client_secret"] = issued.Secret };
        var response = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(form));
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (issued.Client.Id, http);
    }

    /// <summary>A person of <paramref name="role"/> in the tenant, signed in (session cookie).</summary>
    public async Task<(string UserId, HttpClient Http)> SignedInUserAsync(string tenantId, string role)
    {
        var username = role + "-" + Guid.NewGuid().ToString("N")[..6];
        var user = await Services.GetRequiredService<UserStore>().CreateAsync(tenantId, username, Password, role, default);
        var http = CreateClient();
        (await http.PostAsJsonAsync("/api/auth/login", new { tenant = tenantId, username, password = Password })).EnsureSuccessStatusCode();
        return (user!.Id, http);
    }

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient http, byte[] content, string contentType, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await http.SendAsync(request);
    }

    /// <summary>Uploads and asserts 202; returns the job id.</summary>
    public static async Task<string> SubmitAsync(HttpClient http, byte[] content, string contentType)
    {
        var response = await UploadAsync(http, content, contentType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetString()!;
    }

    static readonly HashSet<string> Final = ["completed", "failed", "dead-letter", "quarantined", "cancelled"];

    /// <summary>Polls the job until it reaches a final state (or <paramref name="status"/>); returns it.</summary>
    public static async Task<JsonElement> WaitForJobAsync(HttpClient http, string jobId, string? status = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var response = await http.GetAsync(new Uri($"/api/jobs/{jobId}", UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET job: {response.StatusCode}: {body}");
            var job = JsonDocument.Parse(body).RootElement;
            var current = job.GetProperty("status").GetString()!;
            if (status is null ? Final.Contains(current) : current == status) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} is still {current}: {body}");
            await Task.Delay(50);
        }
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        if (_ownedDatabase is not null) await _ownedDatabase.DisposeAsync();
    }
}

/// <summary>Small report files for tests.</summary>
public static class Reports
{
    public const string Mrn = "http://hospital.example/mrn";

    public static string PatientAndObservation(string mrnValue, string family = "Nakamura") => $$$"""
        {"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":{"resourceType":"Patient","identifier":[{"system":"{{{Mrn}}}","value":"{{{mrnValue}}}"}],"name":[{"family":"{{{family}}}"}]},"request":{"method":"POST","url":"Patient"}},
          {"fullUrl":"urn:uuid:0c3c6ad1-6d2c-4bb1-9c27-3d0e1e5d1a11","resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},"request":{"method":"POST","url":"Observation"}}
        ]}
        """;

    public const string Hl7 = "MSH|^~\\&|LAB|RIVERBEND|EHR|HOSP|202611210815||ORU^R01|MSG0001|P|2.5.1\rPID|1||12345^^^HOSP^MR||Doe^Jane\r";

    /// <summary>A minimal PDF (one empty page), with an OpenAction JavaScript when asked. Offsets in the xref are exact.</summary>
    public static byte[] Pdf(bool javaScript = false)
    {
        var objects = new List<string>
        {
            "<< /Type /Catalog /Pages 2 0 R" + (javaScript ? " /OpenAction 4 0 R" : "") + " >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        };
        if (javaScript) objects.Add("<< /S /JavaScript /JS (app.alert\\(1\\)) >>");
        var text = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(text.Length);
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = text.Length;
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The EICAR test file, joined at run time (see ../shared/testdata/malware/README.md).</summary>
    public static byte[] Eicar() => Encoding.ASCII.GetBytes("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
}

/// <summary>
/// Servers shared by the tests of one class, one per backend and settings profile, started on first use. Every test
/// creates its own tenant; tests of a class run one at a time, so before/after counts of blobs are the test's own.
/// </summary>
public sealed class IngestionApps : IAsyncDisposable
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<(DatabaseProvider, string), Lazy<Task<IngestionApp>>> _apps = new();

    /// <summary>Workers on (fast polling).</summary>
    public Task<IngestionApp> WorkingAsync(DatabaseProvider provider) => GetAsync(provider, "working", null);

    /// <summary>No workers: jobs stay pending.</summary>
    public Task<IngestionApp> IdleAsync(DatabaseProvider provider) =>
        GetAsync(provider, "idle", new Dictionary<string, string?> { ["Ingestion:Workers"] = "0" });

    public Task<IngestionApp> GetAsync(DatabaseProvider provider, string profile, IReadOnlyDictionary<string, string?>? settings, Action<IServiceCollection>? services = null) =>
        _apps.GetOrAdd((provider, profile), _ => new Lazy<Task<IngestionApp>>(() => IngestionApp.StartAsync(provider, settings, services))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps.Values)
            if (app.IsValueCreated) await (await app.Value).DisposeAsync();
    }
}
