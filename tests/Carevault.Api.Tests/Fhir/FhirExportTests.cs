using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Records.Export;
using Carevault.Storage;
using Carevault.Storage.Blobs;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// Bulk Data Access IG v2 <c>$export</c> (system, Patient and Group level) through the real host, on both backends:
/// kick-off, polling, manifest, NDJSON files (decrypted on download, encrypted at rest), filters, access and cancel.
/// Files hold at most two resources here, so every type with more is split.
/// </summary>
public sealed class FhirExportTests(FhirExportTests.Servers servers) : IClassFixture<FhirExportTests.Servers>
{
    /// <summary>One server per backend with small export files and a quick poll; and one with no export worker.</summary>
    public sealed class Servers : IAsyncDisposable
    {
        readonly ConcurrentDictionary<(DatabaseProvider, bool), Lazy<Task<FhirServer>>> _servers = new();

        readonly ConcurrentDictionary<DatabaseProvider, Lazy<Task<FhirServer>>> _expiring = new();

        public Task<FhirServer> GetAsync(DatabaseProvider provider, bool workers = true) =>
            _servers.GetOrAdd((provider, workers), key => new Lazy<Task<FhirServer>>(() => FhirServer.StartAsync(key.Item1, new Dictionary<string, string?>
            {
                ["Records:Export:MaxLinesPerFile"] = "2",
                ["Records:Export:PageSize"] = "1",
                ["Records:Export:PollIntervalMs"] = "100",
                ["Records:Export:Workers"] = key.Item2 ? "1" : "0",
            }))).Value;

        /// <summary>A server whose export files expire after 0.6 s.</summary>
        public Task<FhirServer> ExpiringAsync(DatabaseProvider provider) =>
            _expiring.GetOrAdd(provider, p => new Lazy<Task<FhirServer>>(() => FhirServer.StartAsync(p, new Dictionary<string, string?>
            {
                ["Records:Export:ExpiryMinutes"] = "0.05", // 3 s: long enough to read the manifest first
                ["Records:Export:PollIntervalMs"] = "100",
            }))).Value;

        public async ValueTask DisposeAsync()
        {
            foreach (var server in _servers.Values.Concat(_expiring.Values))
                if (server.IsValueCreated) await (await server.Value).DisposeAsync();
        }
    }

    static string Patient(string family) => $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""";

    static string Observation(string patient, string code = "x") =>
        $$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"urn:test","code":"{{{code}}}"}]},"subject":{"reference":"Patient/{{{patient}}}"}}""";

    static async Task<JsonElement> CreateAsync(FhirServer server, string token, string json)
    {
        var type = JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString();
        return await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/{type}", token, json), HttpStatusCode.Created);
    }

    static async Task<string> IdAsync(FhirServer server, string token, string json) => (await CreateAsync(server, token, json)).GetProperty("id").GetString()!;

    static void Async(HttpRequestMessage request)
    {
        request.Headers.Add("Prefer", "respond-async");
        request.Headers.Add("Accept", "application/fhir+json");
    }

    /// <summary>Kicks off an export; returns the status URL's path.</summary>
    static async Task<string> KickOffAsync(FhirServer server, string token, string path)
    {
        var response = await server.SendAsync(HttpMethod.Get, path, token, configure: Async);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"kick-off {path}: {(int)response.StatusCode} {body}");
        var location = response.Content.Headers.ContentLocation!.ToString();
        Assert.StartsWith("http://localhost/fhir/$export-status/", location, StringComparison.Ordinal);
        return new Uri(location).PathAndQuery;
    }

    /// <summary>Polls the status URL until the export is done (202 meanwhile, with X-Progress and Retry-After); returns the manifest.</summary>
    static async Task<JsonElement> WaitAsync(FhirServer server, string token, string status)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var response = await server.SendAsync(HttpMethod.Get, status, token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(response.Content.Headers.Expires);
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            }
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"status: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.NotEmpty(response.Headers.GetValues("X-Progress").Single());
            Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
            await Task.Delay(50);
        }
        throw new TimeoutException("The export did not finish.");
    }

    /// <summary>Every output file, downloaded and parsed: (type, resources) per file, in manifest order.</summary>
    static async Task<List<(string Type, long Count, List<JsonElement> Resources)>> FilesAsync(FhirServer server, string token, JsonElement manifest)
    {
        var files = new List<(string, long, List<JsonElement>)>();
        foreach (var output in manifest.GetProperty("output").EnumerateArray())
        {
            var response = await server.SendAsync(HttpMethod.Get, new Uri(output.GetProperty("url").GetString()!).PathAndQuery, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync();
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            var resources = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            files.Add((output.GetProperty("type").GetString()!, output.GetProperty("count").GetInt64(), resources));
        }
        return files;
    }

    /// <summary>Ids per type over all files, each file's resources being of its type and as many as its count.</summary>
    static async Task<Dictionary<string, List<string>>> ExportedAsync(FhirServer server, string token, JsonElement manifest)
    {
        var byType = new Dictionary<string, List<string>>();
        foreach (var (type, count, resources) in await FilesAsync(server, token, manifest))
        {
            Assert.Equal(count, resources.Count);
            Assert.InRange(resources.Count, 1, 2);
            Assert.All(resources, r => Assert.Equal(type, r.GetProperty("resourceType").GetString()));
            if (!byType.TryGetValue(type, out var ids)) byType[type] = ids = [];
            ids.AddRange(resources.Select(r => r.GetProperty("id").GetString()!));
        }
        foreach (var ids in byType.Values) ids.Sort(StringComparer.Ordinal);
        return byType;
    }

    static List<string> Sorted(params string[] ids) => ids.Order(StringComparer.Ordinal).ToList();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SystemExport_WhenDone_ManifestCountsMatchWhatWasStored_AndFilesParse(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var p1 = await IdAsync(server, token, Patient("Alpha"));
        var p2 = await IdAsync(server, token, Patient("Beta"));
        var p3 = await IdAsync(server, token, Patient("Gamma"));
        var o1 = await IdAsync(server, token, Observation(p1));
        var o2 = await IdAsync(server, token, Observation(p2));
        var deleted = await IdAsync(server, token, Observation(p3));
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Delete, $"/fhir/Observation/{deleted}", token)).StatusCode);
        var practitioner = await IdAsync(server, token, """{"resourceType":"Practitioner","name":[{"family":"Doc"}]}""");

        var status = await KickOffAsync(server, token, "/fhir/$export?_outputFormat=application%2Ffhir%2Bndjson");
        var manifest = await WaitAsync(server, token, status);

        Assert.True(manifest.GetProperty("requiresAccessToken").GetBoolean());
        Assert.Equal("http://localhost/fhir/$export?_outputFormat=application%2Ffhir%2Bndjson", manifest.GetProperty("request").GetString());
        Assert.True(DateTimeOffset.TryParse(manifest.GetProperty("transactionTime").GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _));
        Assert.Equal(0, manifest.GetProperty("error").GetArrayLength());
        // Three Patients in files of at most two: two files, in order, counting 2 and 1.
        Assert.Equal(["Observation:2", "Patient:2", "Patient:1", "Practitioner:1"],
            manifest.GetProperty("output").EnumerateArray().Select(o => $"{o.GetProperty("type").GetString()}:{o.GetProperty("count").GetInt64()}").ToList());
        var exported = await ExportedAsync(server, token, manifest);
        Assert.Equal(Sorted(p1, p2, p3), exported["Patient"]);
        Assert.Equal(Sorted(o1, o2), exported["Observation"]);
        Assert.Equal([practitioner], exported["Practitioner"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Export_ReflectsTheKickOffsTransactionTime_NotLaterWrites(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider, workers: false);
        var token = await server.NewTenantTokenAsync();
        var changed = await IdAsync(server, token, Patient("Before"));
        var removed = await IdAsync(server, token, Patient("Removed"));
        var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
        await Task.Delay(20);
        var update = $$"""{"resourceType":"Patient","id":"{{changed}}","name":[{"family":"After"}]}""";
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Put, $"/fhir/Patient/{changed}", token, update)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Delete, $"/fhir/Patient/{removed}", token)).StatusCode);
        await IdAsync(server, token, Patient("Later"));

        // No worker runs in this server: the test claims and runs the export itself, after the writes.
        var jobs = server.Services.GetRequiredService<ExportJobStore>();
        var job = await jobs.ClaimAsync("test", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000, TimeSpan.FromMinutes(1), default);
        Assert.NotNull(job);
        await server.Services.GetRequiredService<ExportRunner>().RunAsync(job, "test", default);

        var files = await FilesAsync(server, token, await WaitAsync(server, token, status));
        var patients = files.SelectMany(f => f.Resources).ToList();
        Assert.Equal(Sorted(changed, removed), patients.Select(p => p.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList());
        var exportedChanged = patients.Single(p => p.GetProperty("id").GetString() == changed);
        Assert.Equal("Before", exportedChanged.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("1", exportedChanged.GetProperty("meta").GetProperty("versionId").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TypeAndSince_LimitTheExport(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var patient = await IdAsync(server, token, Patient("Since"));
        var old = await CreateAsync(server, token, Observation(patient, "old"));
        await Task.Delay(20);
        var recent = await IdAsync(server, token, Observation(patient, "new"));

        var typed = await ExportedAsync(server, token, await WaitAsync(server, token, await KickOffAsync(server, token, "/fhir/$export?_type=Observation")));
        Assert.Equal(["Observation"], typed.Keys);
        Assert.Equal(Sorted(old.GetProperty("id").GetString()!, recent), typed["Observation"]);

        var since = Uri.EscapeDataString(old.GetProperty("meta").GetProperty("lastUpdated").GetString()!);
        var recentOnly = await ExportedAsync(server, token, await WaitAsync(server, token, await KickOffAsync(server, token, $"/fhir/$export?_type=Observation,Patient&_since={since}")));
        Assert.Equal(["Observation"], recentOnly.Keys);
        Assert.Equal([recent], recentOnly["Observation"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientAndGroupExports_HoldOnlyTheCompartments(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var p1 = await IdAsync(server, token, Patient("One"));
        var p2 = await IdAsync(server, token, Patient("Two"));
        var p3 = await IdAsync(server, token, Patient("Three"));
        var o1 = await IdAsync(server, token, Observation(p1));
        var o2 = await IdAsync(server, token, Observation(p2));
        var o3 = await IdAsync(server, token, Observation(p3));
        var unattached = await IdAsync(server, token, """{"resourceType":"Observation","status":"final","code":{"text":"no subject"}}""");
        await IdAsync(server, token, """{"resourceType":"Practitioner","name":[{"family":"Outside"}]}""");
        var group = await IdAsync(server, token, $$$"""
            {"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/{{{p1}}}"}},{"entity":{"reference":"Patient/{{{p3}}}"}},
             {"entity":{"reference":"Patient/{{{p2}}}"},"inactive":true}]}
            """);

        var all = await ExportedAsync(server, token, await WaitAsync(server, token, await KickOffAsync(server, token, "/fhir/Patient/$export")));
        // The Group is in its members' compartments too (member.entity, FHIR R4 compartmentdefinition-patient).
        Assert.Equal(["Group", "Observation", "Patient"], all.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([group], all["Group"]);
        Assert.Equal(Sorted(p1, p2, p3), all["Patient"]);
        Assert.Equal(Sorted(o1, o2, o3), all["Observation"]);
        Assert.DoesNotContain(unattached, all["Observation"]);

        var members = await ExportedAsync(server, token, await WaitAsync(server, token, await KickOffAsync(server, token, $"/fhir/Group/{group}/$export")));
        Assert.Equal(["Group", "Observation", "Patient"], members.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Sorted(p1, p3), members["Patient"]);
        Assert.Equal(Sorted(o1, o3), members["Observation"]);

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Group/{p1}/$export", token, configure: Async), HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task StatusAndFiles_AreOnlyTheRequesters(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var tokens = await server.NewTenantTokensAsync("system/*.cruds", "system/*.cruds");
        var otherTenant = await server.NewTenantTokenAsync();
        await IdAsync(server, tokens[0], Patient("Private"));
        var status = await KickOffAsync(server, tokens[0], "/fhir/$export?_type=Patient");
        var manifest = await WaitAsync(server, tokens[0], status);
        var file = new Uri(manifest.GetProperty("output")[0].GetProperty("url").GetString()!).PathAndQuery;

        foreach (var other in new[] { tokens[1], otherTenant })
        {
            await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, status, other), HttpStatusCode.NotFound);
            await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, file, other), HttpStatusCode.NotFound);
            await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Delete, status, other), HttpStatusCode.NotFound);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, status, tokens[0])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, file, tokens[0])).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.SendAsync(HttpMethod.Get, file, null)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Cancel_DeletesTheFiles_AndTheExportIsGone(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        await IdAsync(server, token, Patient("Cancelled"));
        var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
        var manifest = await WaitAsync(server, token, status);
        var url = manifest.GetProperty("output")[0].GetProperty("url").GetString()!;
        var key = BlobKeyOf(url, await TenantOfAsync(server, status));
        var raw = server.Services.GetRequiredService<IBlobStore>();
        Assert.NotNull(await raw.OpenReadAsync(key, default));

        Assert.Equal(HttpStatusCode.Accepted, (await server.SendAsync(HttpMethod.Delete, status, token)).StatusCode);

        Assert.Null(await raw.OpenReadAsync(key, default));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, status, token), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery, token), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Delete, status, token), HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Files_AreEncryptedAtRest(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var family = "Plaintextfamily" + Guid.NewGuid().ToString("N")[..8];
        await IdAsync(server, token, Patient(family));
        var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
        var manifest = await WaitAsync(server, token, status);
        var url = manifest.GetProperty("output")[0].GetProperty("url").GetString()!;

        var downloaded = await (await server.SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery, token)).Content.ReadAsStringAsync();
        Assert.Contains(family, downloaded, StringComparison.Ordinal);
        await using var stored = await server.Services.GetRequiredService<IBlobStore>().OpenReadAsync(BlobKeyOf(url, await TenantOfAsync(server, status)), default);
        Assert.NotNull(stored);
        using var bytes = new MemoryStream();
        await stored.CopyToAsync(bytes);
        Assert.True(bytes.Length > downloaded.Length);
        Assert.DoesNotContain(family, Encoding.Latin1.GetString(bytes.ToArray()), StringComparison.Ordinal);
        Assert.DoesNotContain("resourceType", Encoding.Latin1.GetString(bytes.ToArray()), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task KickOff_WithBadRequests_Answers400(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export", token), HttpStatusCode.BadRequest);
        foreach (var query in new[] { "_outputFormat=application/fhir%2Bjson", "_type=Unknown", "_type=Patient,AuditEvent", "_since=yesterday", "_since=2024-01-01", "_typeFilter=Observation%3Fcode%3Dx" })
            await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export?" + query, token, configure: Async), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export?whatever=1", token, configure: r =>
        {
            Async(r);
            r.Headers.Add("Prefer", "handling=strict");
        }), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export", token, configure: r =>
        {
            r.Headers.Add("Prefer", "respond-async");
            r.Headers.Add("Accept", "application/xml");
        }), HttpStatusCode.NotAcceptable);

        // Lenient: _typeFilter is ignored and said so; the export runs.
        var lenient = await server.SendAsync(HttpMethod.Get, "/fhir/$export?_typeFilter=Observation%3Fcode%3Dx&_outputFormat=ndjson&whatever=1", token, configure: r =>
        {
            Async(r);
            r.Headers.Add("Prefer", "handling=lenient");
        });
        var outcome = await FhirAssert.IsOutcomeAsync(lenient, HttpStatusCode.Accepted);
        Assert.Contains("_typeFilter", outcome.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        await WaitAsync(server, token, new Uri(lenient.Content.Headers.ContentLocation!.ToString()).PathAndQuery);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Access_NeedsReadAndSearchOnEveryType_AndIsRefusedToTargetDependentCallers(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var tokens = await server.NewTenantTokensAsync("system/*.cruds", "system/Observation.rs", "system/Observation.r");
        var patient = await IdAsync(server, tokens[0], Patient("Scoped"));
        var observation = await IdAsync(server, tokens[0], Observation(patient));

        // Without _type: the types the token may read and search; naming one it may not is 403; read alone is not enough.
        var scoped = await ExportedAsync(server, tokens[1], await WaitAsync(server, tokens[1], await KickOffAsync(server, tokens[1], "/fhir/$export")));
        Assert.Equal(["Observation"], scoped.Keys);
        Assert.Equal([observation], scoped["Observation"]);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export?_type=Patient", tokens[1], configure: Async), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export?_type=Observation", tokens[2], configure: Async), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/$export", null, configure: Async), HttpStatusCode.Unauthorized);

        // A patient's access depends on each resource: bulk export is refused, at every level.
        var world = await AccessWorld.CreateAsync(server);
        var patientToken = await world.TokenAsync("patient1", "patient/*.rs");
        foreach (var path in new[] { "/fhir/$export", "/fhir/Patient/$export", "/fhir/$export?_type=Observation" })
            await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, path, patientToken, configure: Async), HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AKilledWorkersExport_IsTakenOverWhenItsLeaseRunsOut_AndTheOldRunChangesNothing(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider, workers: false);
        var token = await server.NewTenantTokenAsync();
        var p1 = await IdAsync(server, token, Patient("Lease"));
        var p2 = await IdAsync(server, token, Patient("Lease"));
        var p3 = await IdAsync(server, token, Patient("Lease"));
        var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
        var id = status[(status.LastIndexOf('/') + 1)..];
        var jobs = server.Services.GetRequiredService<ExportJobStore>();
        var runner = server.Services.GetRequiredService<ExportRunner>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000;

        // Other tests' exports on this server may be due too: claim until this one comes up.
        async Task<ExportJob> ClaimAsync(string owner, long at)
        {
            for (var job = await jobs.ClaimAsync(owner, at, TimeSpan.FromSeconds(30), default); job is not null; job = await jobs.ClaimAsync(owner, at, TimeSpan.FromSeconds(30), default))
                if (job.Id == id) return job;
            throw new InvalidOperationException("The export was not claimable.");
        }

        var dead = await ClaimAsync("dead", now);
        // While the lease lasts, nobody else gets it.
        Assert.NotEqual(id, (await jobs.ClaimAsync("early", now + 1000, TimeSpan.FromSeconds(30), default))?.Id);
        var taken = await ClaimAsync("alive", now + 31_000);
        Assert.Equal(2, taken.Attempts);
        await runner.RunAsync(taken, "alive", default);
        // The first worker wakes up and writes on: its lease is gone, so it stops and leaves the new owner's files.
        await runner.RunAsync(dead, "dead", default);

        var exported = await ExportedAsync(server, token, await WaitAsync(server, token, status));
        Assert.Equal(Sorted(p1, p2, p3), exported["Patient"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AFailedExport_IsRetried_ThenAnswers500(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider, workers: false);
        var token = await server.NewTenantTokenAsync();
        var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
        var id = status[(status.LastIndexOf('/') + 1)..];
        var jobs = server.Services.GetRequiredService<ExportJobStore>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000;
        async Task<ExportJob> ClaimAsync(long at)
        {
            for (var job = await jobs.ClaimAsync("w", at, TimeSpan.FromSeconds(30), default); job is not null; job = await jobs.ClaimAsync("w", at, TimeSpan.FromSeconds(30), default))
                if (job.Id == id) return job;
            throw new InvalidOperationException("The export was not claimable.");
        }

        // A transient failure puts it back in the queue (still 202); the last allowed attempt fails it for good.
        await jobs.FailAsync((await ClaimAsync(now)).Id, "w", "IOException", final: false, next: now, now, now + 60_000, default);
        Assert.Equal(HttpStatusCode.Accepted, (await server.SendAsync(HttpMethod.Get, status, token)).StatusCode);
        var second = await ClaimAsync(now);
        Assert.Equal(2, second.Attempts);
        Assert.True(await jobs.FailAsync(second.Id, "w", "IOException", final: true, next: now, now, now + 60_000, default));

        var outcome = await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, status, token), HttpStatusCode.InternalServerError);
        Assert.DoesNotContain("IOException", outcome.GetRawText(), StringComparison.Ordinal);
        // Failed is final: no worker claims it again.
        for (var job = await jobs.ClaimAsync("w", now + 120_000, TimeSpan.FromSeconds(30), default); job is not null; job = await jobs.ClaimAsync("w", now + 120_000, TimeSpan.FromSeconds(30), default))
            Assert.NotEqual(id, job.Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Claims_TakeEachDueExportOnce(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider, workers: false);
        var token = await server.NewTenantTokenAsync();
        var ids = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
            ids.Add(status[(status.LastIndexOf('/') + 1)..]);
        }
        var jobs = server.Services.GetRequiredService<ExportJobStore>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000;

        // Concurrent claimers (several processes on PostgreSQL skip each other's locked rows) never share an export.
        var claimed = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var mine = new List<string>();
            while (await jobs.ClaimAsync("w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), now, TimeSpan.FromMinutes(5), default) is { } job) mine.Add(job.Id);
            return mine;
        })));
        var all = claimed.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Superset(ids, all.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ExpiredFiles_AreDeleted_AndTheExportIsGone(DatabaseProvider provider)
    {
        var server = await servers.ExpiringAsync(provider);
        var token = await server.NewTenantTokenAsync();
        await IdAsync(server, token, Patient("Expiring"));
        var status = await KickOffAsync(server, token, "/fhir/$export?_type=Patient");
        var tenant = await TenantOfAsync(server, status);
        var manifest = await WaitAsync(server, token, status);
        var key = BlobKeyOf(manifest.GetProperty("output")[0].GetProperty("url").GetString()!, tenant);
        var raw = server.Services.GetRequiredService<IBlobStore>();

        for (var attempt = 0; attempt < 600 && (await server.SendAsync(HttpMethod.Get, status, token)).StatusCode != HttpStatusCode.NotFound; attempt++) await Task.Delay(50);

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, status, token), HttpStatusCode.NotFound);
        Assert.Null(await raw.OpenReadAsync(key, default));
    }

    [Fact]
    public async Task CapabilityStatement_ListsTheExportOperations()
    {
        var server = await servers.GetAsync(DatabaseProvider.Sqlite);
        var statement = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/metadata", null), HttpStatusCode.OK);
        var rest = statement.GetProperty("rest")[0];
        static List<string> Operations(JsonElement e) => e.GetProperty("operation").EnumerateArray().Select(o => $"{o.GetProperty("name").GetString()} {o.GetProperty("definition").GetString()}").ToList();
        JsonElement Resource(string type) => rest.GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == type);

        Assert.Equal(["export http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export", "import urn:carevault:operation:import"], Operations(rest));
        Assert.Contains("export http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export", Operations(Resource("Patient")));
        Assert.Contains("export http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export", Operations(Resource("Group")));
        Assert.DoesNotContain(Operations(Resource("Observation")), o => o.StartsWith("export", StringComparison.Ordinal));
    }

    static async Task<string> TenantOfAsync(FhirServer server, string status)
    {
        var id = status[(status.LastIndexOf('/') + 1)..];
        var db = server.Services.GetRequiredService<Carevault.Storage.Database.Db>();
        await using var connection = await db.OpenAsync(default);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant_id FROM fhir_export_jobs WHERE id = @id";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "id";
        parameter.Value = id;
        command.Parameters.Add(parameter);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The blob key behind a file URL <c>…/$export-file/{id}/{name}</c>.</summary>
    static string BlobKeyOf(string url, string tenant)
    {
        var segments = new Uri(url).AbsolutePath.Split('/');
        return ExportRunner.BlobKey(new ExportJob { TenantId = tenant, Id = segments[^2] }, segments[^1]);
    }
}
