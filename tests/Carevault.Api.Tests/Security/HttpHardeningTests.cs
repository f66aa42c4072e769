using System.Net;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Server.Configuration;
using Carevault.Server.Security;
using Carevault.Storage;
using Microsoft.Extensions.Configuration;

namespace Carevault.Api.Tests.Security;

public sealed class HttpHardeningTests
{
    static readonly Uri Live = new("/health/live", UriKind.Relative);

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/no/such/route")]
    [InlineData("/fhir/Patient")]
    [InlineData("/docs/index.html")]
    public async Task AnyResponse_CarriesSecurityHeaders(string path)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpHardening.ContentSecurityPolicy, Header(response, "Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", HttpHardening.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("same-origin", Header(response, "Cross-Origin-Resource-Policy"));
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task SwaggerUi_UnderTheCsp_LoadsOnlyItsOwnFiles()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/docs/index.html", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // script-src falls back to 'self': every script must be a file of ours, none inline, none from another host.
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script(?<attrs>[^>]*)>(?<body>.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.NotEmpty(scripts);
        foreach (System.Text.RegularExpressions.Match script in scripts)
        {
            Assert.Contains("src=", script.Groups["attrs"].Value, StringComparison.Ordinal);
            Assert.DoesNotContain("//", script.Groups["attrs"].Value, StringComparison.Ordinal);
            Assert.True(string.IsNullOrWhiteSpace(script.Groups["body"].Value), "inline script would be blocked by the CSP");
            var src = System.Text.RegularExpressions.Regex.Match(script.Groups["attrs"].Value, "src=\"(?<s>[^\"]+)\"").Groups["s"].Value;
            var file = await client.GetAsync(new Uri(new Uri("http://localhost/docs/"), src));
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        }
    }

    [Fact]
    public async Task Cors_ByDefault_AdmitsNoOrigin()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.SendAsync(Preflight("https://portal.example"));

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Cors_WhenOriginIsAllowListed_AdmitsOnlyIt()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://portal.example" });
        using var client = app.CreateClient();

        var allowed = await client.SendAsync(Preflight("https://portal.example"));
        var other = await client.SendAsync(Preflight("https://evil.example"));

        Assert.Equal("https://portal.example", Header(allowed, "Access-Control-Allow-Origin"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Https_WhenNotConfigured_NeitherRedirectsNorSendsHsts()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        client.BaseAddress = new Uri("http://carevault.example/");

        var response = await client.GetAsync(Live);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Https_WhenAnHttpsUrlIsConfigured_RedirectsHttpAndSendsHsts()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Urls"] = "http://127.0.0.1:8080;https://127.0.0.1:8443" });
        using var client = app.CreateClient();

        var plain = await client.GetAsync(new Uri("http://carevault.example/health/live"));
        var secure = await client.GetAsync(new Uri("https://carevault.example:8443/health/live"));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, plain.StatusCode);
        Assert.Equal(new Uri("https://carevault.example:8443/health/live"), plain.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Equal("max-age=31536000; includeSubDomains", Header(secure, "Strict-Transport-Security"));
    }

    [Fact]
    public async Task UserAgent_WithCrLf_CannotForgeALogLine()
    {
        // No Carevault code logs the user agent (request lines carry method, route template, status and time only):
        // this guards that, and that a CR/LF in a header never reaches a log entry raw.
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Live);
        request.Headers.TryAddWithoutValidation("User-Agent", "curl\r\n{\"LogLevel\":\"Critical\",\"Message\":\"forged\"}");

        await client.SendAsync(request);

        Assert.NotEmpty(app.Logs.Lines);
        Assert.DoesNotContain(app.Logs.Lines, line => line.Text.Contains("forged", StringComparison.Ordinal) || line.Text.Contains('\n', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("*", "'*' would let any web page")]
    [InlineData("https://portal.example/app", "is not an origin")]
    public void ConfigurationReport_WhenCorsOriginIsUnsafe_ReportsError(string origin, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = origin }).Build();

        var report = ConfigurationReport.Create(configuration);

        Assert.Contains(report.Errors, error => error.StartsWith("Cors:AllowedOrigins:", StringComparison.Ordinal) && error.Contains(expected, StringComparison.Ordinal));
    }

    static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri("/api/auth/login", UriKind.Relative));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;
}
