using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Server.Configuration;
using Carevault.Storage;
using Microsoft.Extensions.Configuration;

namespace Carevault.Api.Tests.Security;

public sealed class RateLimitingTests
{
    static Dictionary<string, string?> Low(string policy, int burst) => new()
    {
        [$"RateLimits:{policy}:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"RateLimits:{policy}:PermitsPerSecond"] = "1",
    };

    [Fact]
    public async Task SignIn_BeyondTheCredentialLimit_Returns429ProblemWithRetryAfter()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Low("Credentials", 2));
        using var client = app.CreateClient();
        var login = new { tenant = "system", username = "nobody", password = "wrong-password" };

        // At once: the bucket refills every second, and each sign-in takes a while (hash check, audit commit), so
        // three sequential sign-ins could straddle a refill. The limiter decides as each request arrives.
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.PostAsJsonAsync("/api/auth/login", login)));

        Assert.Equal(2, answers.Count(a => a.StatusCode != HttpStatusCode.TooManyRequests));
        var third = answers.Single(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        await ProblemAssert.IsProblemAsync(third, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.True(third.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Token_SharesTheCredentialLimitButNotTheAnonymousOne()
    {
        var settings = Low("Credentials", 1);
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, settings);
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);

        var token = await hospital.RequestTokenAsync(client);
        var again = await hospital.RequestTokenAsync(client);
        var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        Assert.NotNull(again.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Fhir_BeyondTheAnonymousLimit_Returns429OperationOutcome()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Low("Anonymous", 1));
        using var client = app.CreateClient();

        await client.GetAsync(new Uri("/fhir/metadata", UriKind.Relative));
        var limited = await client.GetAsync(new Uri("/fhir/metadata", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        var outcome = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Equal("throttled", outcome.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Authenticated_EachClientHasItsOwnBucket()
    {
        var settings = Low("Authenticated", 2);
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, settings);
        using var client = app.CreateClient();
        var first = await Hospital.CreateAsync(app);
        var second = await Hospital.CreateAsync(app);
        var firstToken = await first.GetTokenAsync(client);
        var secondToken = await second.GetTokenAsync(client);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) statuses.Add((await client.SendAsync(Hospital.Get("/fhir/Patient", firstToken))).StatusCode);
        var other = await client.SendAsync(Hospital.Get("/fhir/Patient", secondToken));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Disabled_NeverRejects()
    {
        var settings = Low("Anonymous", 1);
        settings["RateLimits:Enabled"] = "false";
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, settings);
        using var client = app.CreateClient();

        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void ConfigurationReport_WhenALimitIsNotPositive_ReportsError()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["RateLimits:Credentials:Burst"] = "0" }).Build();

        var report = ConfigurationReport.Create(configuration);

        Assert.Contains("RateLimits:Credentials: Burst and PermitsPerSecond must be positive.", report.Errors);
    }
}
