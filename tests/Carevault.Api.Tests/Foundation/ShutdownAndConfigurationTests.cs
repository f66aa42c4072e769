using System.Net;
using Carevault.Server;
using Carevault.Server.Configuration;
using Carevault.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Carevault.Api.Tests.Foundation;

public sealed class ShutdownAndConfigurationTests
{
    [Fact]
    public async Task Stop_WhileARequestIsInFlight_LetsItFinish()
    {
        await using var database = await TestDatabase.CreateAsync(Carevault.Storage.DatabaseProvider.Sqlite);
        var port = Infrastructure.CarevaultProcess.FreePort();
        var settings = database.Settings();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        await using var app = CarevaultHost.Build([], settings);
        var entered = new TaskCompletionSource();
        app.MapGet("/probe/slow", async () =>
        {
            entered.SetResult();
            await Task.Delay(TimeSpan.FromSeconds(1));
            return TypedResults.Ok("done");
        }).AllowAnonymous();
        await app.StartAsync();
        using var client = new HttpClient();

        var inFlight = client.GetAsync(new Uri($"http://127.0.0.1:{port}/probe/slow"));
        await entered.Task;
        var stopping = app.StopAsync();
        var response = await inFlight;
        await stopping;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"done\"", await response.Content.ReadAsStringAsync());
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live")));
    }

    [Fact]
    public void Report_WhenAppsettingsHoldsASecret_IsInvalid_AndMasksIt()
    {
        var file = Path.Combine(Path.GetTempPath(), $"carevault-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "Database": { "Provider": "Postgres", "ConnectionString": "Host=db;Username=cv;Password=in-a-file" }, "Secrets": { "MasterKey": "abc" } }""");
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();

            var report = ConfigurationReport.Create(configuration);

            Assert.False(report.IsValid);
            Assert.Contains(report.Errors, e => e.StartsWith("Database:ConnectionString", StringComparison.Ordinal));
            Assert.Contains(report.Errors, e => e.StartsWith("Secrets:MasterKey", StringComparison.Ordinal));
            Assert.DoesNotContain(report.Entries, e => e.Value.Contains("in-a-file", StringComparison.Ordinal) || e.Value == "abc");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Report_WhenAppsettingsHoldsAPasswordlessConnectionString_IsValid()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["Database:ConnectionString"] = "Host=db;Username=cv",
        }).Build();

        Assert.True(ConfigurationReport.Create(configuration).IsValid);
    }

    [Theory]
    [InlineData("Email:Smtp:Port", "70000", "Email:Smtp:Port must be a whole number from 1 to 65535.")]
    [InlineData("Email:Outbox:BatchSize", "0", "Email:Outbox:BatchSize must be a whole number from 1 to 1000.")]
    [InlineData("PublicUrl", "ftp://carevault.example", "PublicUrl must be the absolute http:// or https:// address clients use, without query or fragment.")]
    [InlineData("PasswordReset:TokenLifetimeMinutes", "2", "PasswordReset:TokenLifetimeMinutes must be a whole number from 5 to 1440.")]
    public void ConfigurationReport_WhenAModuleSettingIsInvalid_NamesItAsTheServerWould(string key, string value, string error)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var report = ConfigurationReport.Create(configuration);

        Assert.Equal(error, Assert.Single(report.Errors));
    }

    [Fact]
    public void ConfigurationReport_WhenSmtpFromIsNotAnAddress_ReportsIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Email:Smtp:Host"] = "mail.example", ["Email:Smtp:From"] = "not an address",
        }).Build();

        Assert.Equal("Email:Smtp:From must be an email address.", Assert.Single(ConfigurationReport.Create(configuration).Errors));
    }
}
