using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Server.Configuration;
using Carevault.Server.Observability;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Observability;

public sealed partial class MetricsTests
{
    const string Duration = "http_server_request_duration_seconds";

    [Fact]
    public async Task Scrape_AfterRequests_CountsThemByRouteTemplateMethodAndStatus()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        for (var i = 0; i < 3; i++) await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        await client.GetAsync(new Uri("/fhir/Patient/secret-patient-id", UriKind.Relative));
        await client.GetAsync(new Uri("/no/such/route", UriKind.Relative));

        var samples = await ScrapeUntilAsync(client, s => Value(s, $"{Duration}_count", ("route", "/health/live"), ("method", "GET"), ("status", "200")) >= 3
                                                      && Value(s, $"{Duration}_count", ("route", "(unmatched)"), ("status", "404")) >= 1);

        Assert.Equal(3, Value(samples, $"{Duration}_count", ("route", "/health/live"), ("method", "GET"), ("status", "200")));
        Assert.All(samples.Where(s => s.Name == $"{Duration}_count"), s => Assert.Equal(["method", "route", "status"], s.Labels.Keys.Order(StringComparer.Ordinal)));
        Assert.Equal(3, Value(samples, $"{Duration}_bucket", ("route", "/health/live"), ("status", "200"), ("le", "+Inf")));
        Assert.True(Value(samples, $"{Duration}_sum", ("route", "/health/live")) > 0);
        Assert.Contains(samples, s => s.Name == $"{Duration}_count" && s.Labels["route"].StartsWith("/fhir/", StringComparison.Ordinal) && s.Labels["route"].Contains('{', StringComparison.Ordinal));
        Assert.DoesNotContain(samples, s => s.Labels.Values.Any(v => v.Contains("secret-patient-id", StringComparison.Ordinal) || v.Contains("/no/such", StringComparison.Ordinal)));
        Assert.True(Value(samples, "process_working_set_bytes") > 0);
        Assert.True(Value(samples, "dotnet_gc_heap_bytes") > 0);
        Assert.True(Value(samples, "dotnet_gc_collections_total", ("generation", "gen0")) >= 0);
    }

    [Fact]
    public async Task Scrape_HistogramBuckets_AreCumulativeAndEndWithTheCount()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        var samples = await ScrapeUntilAsync(client, s => Value(s, $"{Duration}_count", ("route", "/health/live")) >= 1);

        var buckets = samples.Where(s => s.Name == $"{Duration}_bucket" && s.Labels["route"] == "/health/live").ToList();
        Assert.True(buckets.Count > 2);
        for (var i = 1; i < buckets.Count; i++) Assert.True(buckets[i].Value >= buckets[i - 1].Value);
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
    }

    [Fact]
    public async Task Scrape_InstrumentOnTheCarevaultMeter_IsExportedByItsName()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var meter = app.Services.GetRequiredService<CarevaultMetrics>().Meter;
        var parserErrors = meter.CreateCounter<long>("parser_errors_total", description: "Messages a parser rejected.");
        parserErrors.Add(2, new KeyValuePair<string, object?>("format", "hl7v2"));
        parserErrors.Add(1, new KeyValuePair<string, object?>("format", "dicom"));
        meter.CreateObservableGauge("jobs_queue_depth", () => 7);

        var samples = Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));

        Assert.Equal(2, Value(samples, "parser_errors_total", ("format", "hl7v2")));
        Assert.Equal(1, Value(samples, "parser_errors_total", ("format", "dicom")));
        Assert.Equal(7, Value(samples, "jobs_queue_depth"));
    }

    /// <summary>Issue 6: database pool use. Our gauge on both engines; Npgsql's own pool series (this host's pool only) on PostgreSQL.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Scrape_ShowsDatabasePoolUse(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var client = app.CreateClient();
        var db = app.Services.GetRequiredService<Db>();

        List<Sample> held;
        await using (var first = await db.OpenAsync(default))
        await using (var second = await db.OpenAsync(default))
            held = Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        // Background work (job polling, the audit writer) may hold a connection for a moment too.
        var released = await ScrapeUntilAsync(client, s => Value(s, "db_connections_open") <= Value(held, "db_connections_open") - 2);

        Assert.True(Value(held, "db_connections_open") >= 2);
        Assert.True(Value(released, "db_connections_open") <= Value(held, "db_connections_open") - 2);
        if (provider == DatabaseProvider.Postgres)
        {
            Assert.True(Value(held, "db_client_connection_count", ("state", "used")) >= 2);
            Assert.True(Value(held, "db_client_connection_max") > 0);
            Assert.All(held.Where(s => s.Name.StartsWith("db_client_", StringComparison.Ordinal)),
                s => Assert.DoesNotContain(s.Labels.Keys, k => k.Contains("pool", StringComparison.Ordinal)));
            // One pool's series: the count of used plus idle connections is one number per state.
            Assert.Single(held, s => s.Name == "db_client_connection_max");
        }
        else
        {
            Assert.DoesNotContain(held, s => s.Name.StartsWith("db_client_", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Metrics_IsAnonymousButPlainText()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.Single(p => p.Name == "version").Value);
    }

    [Fact]
    public async Task Metrics_WhenDisabled_Returns404()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Metrics:Enabled"] = "false" });
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_WhenCallerIsOutsideAllowedNetworks_Returns404()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("carevault-metrics-").FullName;
        try
        {
            var port = CarevaultProcess.FreePort();
            using var server = CarevaultProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDirectory, "--Metrics:AllowedNetworks=10.0.0.0/8"]);
            await server.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

            var denied = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
            var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

            Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void ConfigurationReport_WhenAllowedNetworkIsNotCidr_ReportsError()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Metrics:AllowedNetworks"] = "10.0.0.0/8;everyone" }).Build();

        var report = ConfigurationReport.Create(configuration);

        Assert.Contains("Metrics:AllowedNetworks: 'everyone' is not a CIDR block (10.0.0.0/8).", report.Errors);
    }

    // Hosting records a request's duration as the response completes, which can be just after the client has it.
    static async Task<List<Sample>> ScrapeUntilAsync(HttpClient client, Func<List<Sample>, bool> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var samples = Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            if (ready(samples) || DateTime.UtcNow > deadline) return samples;
            await Task.Delay(50);
        }
    }

    static double Value(List<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>Prometheus text format 0.0.4: comments start with #, samples are <c>name{label="value",…} number</c>.</summary>
    static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        var typed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram" });
                Assert.True(typed.Add(parts[2]), $"{parts[2]} typed twice");
                continue;
            }
            if (line.StartsWith('#')) continue;
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
                labels[label.Groups["k"].Value] = label.Groups["v"].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            var name = match.Groups["name"].Value;
            Assert.Contains(typed, family => name == family || name.StartsWith(family + "_", StringComparison.Ordinal));
            samples.Add(new Sample(name, labels, double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<k>[a-zA-Z_][a-zA-Z0-9_]*)="(?<v>(\\.|[^"\\])*)",?""")]
    private static partial Regex LabelPair();
}
