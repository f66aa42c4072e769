using System.Net;
using Carevault.Api.Tests.Infrastructure;

namespace Carevault.Api.Tests.Cli;

/// <summary>The <c>carevault</c> binary as an operator uses it.</summary>
public sealed class CliTests : IDisposable
{
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task ConfigCheck_MasksSecretsFromTheEnvironment()
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["config", "check"], new Dictionary<string, string>
        {
            ["CAREVAULT_DATABASE"] = "postgres://carevault:hunter2-secret@db.internal:5433/records",
        });

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("hunter2-secret", output, StringComparison.Ordinal);
        Assert.Contains("Database:Provider = Postgres", output, StringComparison.Ordinal);
        Assert.Matches("Database:ConnectionString = .*Host=db.internal.*Port=5433.*Password=\\*+.*\\(environment\\)", output);
        Assert.Contains("Configuration is valid.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_ReadsSecretsFromFiles()
    {
        Directory.CreateDirectory(_dataDirectory);
        var secretFile = Path.Combine(_dataDirectory, "db-connection");
        await File.WriteAllTextAsync(secretFile, "Host=127.0.0.1;Username=cv;Password=from-a-file\n");

        var (exitCode, output) = await CarevaultProcess.RunAsync(["config", "check", "--Database:Provider=Postgres"], new Dictionary<string, string>
        {
            ["CAREVAULT_DATABASE__CONNECTIONSTRING_FILE"] = secretFile,
        });

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("from-a-file", output, StringComparison.Ordinal);
        // Keys keep the casing of the variable that set them (configuration keys are case-insensitive).
        Assert.Matches(new System.Text.RegularExpressions.Regex("Database:ConnectionString = .*Username=cv.*Password=\\*+", System.Text.RegularExpressions.RegexOptions.IgnoreCase), output);
    }

    [Fact]
    public async Task ConfigCheck_CommandLineOverridesEnvironment()
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["config", "check", "--urls", "http://127.0.0.1:9999"], new Dictionary<string, string>
        {
            ["CAREVAULT_URLS"] = "http://127.0.0.1:7777",
        });

        Assert.Equal(0, exitCode);
        Assert.Contains("Urls = http://127.0.0.1:9999    (command line)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Database:Provider=Postgres")]
    [InlineData("--Database:Provider=Oracle")]
    [InlineData("--Urls=ftp://127.0.0.1:21")]
    [InlineData("--Limits:MaxRequestBodyBytes=-5")]
    [InlineData("--Blobs:Provider=S3")]
    [InlineData("--Blobs:Provider=Floppy")]
    public async Task ConfigCheck_WithInvalidSettings_ExitsNonZeroAndSaysWhy(string setting)
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["config", "check", setting]);

        Assert.Equal(1, exitCode);
        Assert.Contains("error:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_RunTwice_AppliesThenReportsCurrent()
    {
        var first = await CarevaultProcess.RunAsync(["migrate", "--data-dir", _dataDirectory]);
        var second = await CarevaultProcess.RunAsync(["migrate", "--data-dir", _dataDirectory]);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Applied", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Database is current", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_FirstStartPrintsUrlAndCredentialOnce_AndStopsCleanlyOnSigterm()
    {
        var port = CarevaultProcess.FreePort();
        string[] args = ["serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", _dataDirectory];

        using (var first = CarevaultProcess.Start(args))
        {
            await first.WaitForOutputAsync("Carevault is listening on http://127.0.0.1:" + port, TimeSpan.FromSeconds(60));
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"))).StatusCode);
            Assert.Matches("password: [A-Za-z0-9]{24}", first.Output);

            first.Signal(CarevaultProcess.SIGTERM);
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "carevault.db")));

        using var second = CarevaultProcess.Start(args);
        await second.WaitForOutputAsync("Carevault is listening on", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("password:", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantsClientsAndUsers_AreManagedFromTheCommandLine()
    {
        string[] data = ["--data-dir", _dataDirectory];

        var tenant = await CarevaultProcess.RunAsync(["tenants", "create", "st-marys", "--name", "St Mary's", .. data]);
        var client = await CarevaultProcess.RunAsync(["clients", "create", "--tenant", "st-marys", "--name", "LIS", "--scopes", "system/Observation.rs", .. data]);
        var invite = await CarevaultProcess.RunAsync(["users", "invite", "--tenant", "st-marys", "--username", "kim", "--email", "kim@example.org", "--role", "staff", .. data]);
        var userId = System.Text.RegularExpressions.Regex.Match(invite.Output, "user id ([0-9a-f]{32})").Groups[1].Value;
        var disable = await CarevaultProcess.RunAsync(["users", "disable", userId, "--tenant", "st-marys", .. data]);
        var wrongTenant = await CarevaultProcess.RunAsync(["users", "enable", userId, "--tenant", "system", .. data]);

        Assert.Equal(0, tenant.ExitCode);
        Assert.Equal(0, client.ExitCode);
        Assert.Matches("client_secret: cvs_", client.Output);
        Assert.Equal(0, invite.ExitCode);
        Assert.Equal(0, disable.ExitCode);
        Assert.Equal(1, wrongTenant.ExitCode);
        Assert.DoesNotContain("\"LogLevel\"", tenant.Output, StringComparison.Ordinal); // one-shot commands print answers, not logs
    }
}
