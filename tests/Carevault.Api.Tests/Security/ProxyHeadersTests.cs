using System.Net;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Server.Configuration;
using Microsoft.Extensions.Configuration;

namespace Carevault.Api.Tests.Security;

/// <summary>
/// Behind a proxy, the caller's address comes from X-Forwarded-For only when the connection is from a listed proxy.
/// Observed through /metrics, which answers only callers inside <c>Metrics:AllowedNetworks</c> (here 10.0.0.0/8), on
/// the real binary over a real socket (the test server has no client address).
/// </summary>
public sealed class ProxyHeadersTests
{
    static async Task<HttpStatusCode[]> MetricsAsSeenFromAsync(string[] settings, params string?[] forwardedFor)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("carevault-proxy-").FullName;
        try
        {
            var port = CarevaultProcess.FreePort();
            using var server = CarevaultProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDirectory, "--Metrics:AllowedNetworks=10.0.0.0/8", .. settings]);
            await server.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var statuses = new List<HttpStatusCode>();
            foreach (var address in forwardedFor)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
                if (address is not null) request.Headers.Add("X-Forwarded-For", address);
                statuses.Add((await client.SendAsync(request)).StatusCode);
            }
            return [.. statuses];
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task ForwardedFor_FromAKnownProxy_IsTheCallersAddress()
    {
        var statuses = await MetricsAsSeenFromAsync(["--Proxy:KnownProxies=127.0.0.1"], "10.1.2.3", "192.168.1.9", "192.168.1.9, 10.1.2.3", null);

        // Only the last hop counts (what the proxy saw); no header: the connection's own address (loopback, not allowed).
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK, HttpStatusCode.NotFound], statuses);
    }

    [Fact]
    public async Task ForwardedFor_WithoutKnownProxies_IsIgnored()
    {
        var statuses = await MetricsAsSeenFromAsync([], "10.1.2.3");

        Assert.Equal([HttpStatusCode.NotFound], statuses);
    }

    [Fact]
    public void ConfigurationReport_WhenAProxyIsNotAnAddress_ReportsError()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Proxy:KnownProxies"] = "10.0.0.1;proxy.local" }).Build();

        Assert.Contains("Proxy:KnownProxies: 'proxy.local' is not an IP address.", ConfigurationReport.Create(configuration).Errors);
    }
}
