using Carevault.Api.Tests.Infrastructure;

namespace Carevault.Api.Tests.Security;

public sealed class SecurityCheckTests : IDisposable
{
    readonly string _dataDirectory = Directory.CreateTempSubdirectory("carevault-security-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    Dictionary<string, string> SafeEnvironment() => new()
    {
        ["CAREVAULT_SECRETS__MASTERKEY"] = "k1:" + Convert.ToBase64String(new byte[32]),
        ["CAREVAULT_DATADIRECTORY"] = _dataDirectory,
    };

    [Fact]
    public async Task Check_WhenSettingsAreSafe_ExitsZero()
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["security", "check", "--urls", "http://127.0.0.1:8080"], SafeEnvironment());

        Assert.Equal(0, exitCode);
        Assert.Contains("No unsafe settings found.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WithDefaults_FlagsTheDevelopmentMasterKey()
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["security", "check", "--data-dir", _dataDirectory]);

        Assert.Equal(1, exitCode);
        Assert.Contains($"error: Secrets:MasterKey: The master key is the development key file {Path.Combine(_dataDirectory, "master.key")}", output, StringComparison.Ordinal);
        Assert.Contains("fix: Supply the key apart from the data", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dataDirectory, "master.key"))); // the check creates nothing
    }

    [Theory]
    [InlineData("--urls=http://0.0.0.0:8080", "error: Urls: 'http://0.0.0.0:8080' serves plain HTTP")]
    [InlineData("--urls=https://0.0.0.0:8443", "error: PublicUrl: Not set while listening beyond loopback")]
    [InlineData("--Deployment:Instances=2", "error: Database:Provider: SQLite with Deployment:Instances=2")]
    [InlineData("--Cors:AllowedOrigins:0=*", "error: Cors:AllowedOrigins: '*' lets any web page")]
    public async Task Check_WhenASettingIsUnsafe_NamesItWithAFixAndExitsOne(string setting, string expected)
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["security", "check", setting], SafeEnvironment());

        Assert.Equal(1, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Contains("  fix: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("0 error(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenOnlyWarnings_ExitsZeroAndPrintsThem()
    {
        var (exitCode, output) = await CarevaultProcess.RunAsync(["security", "check", "--RateLimits:Enabled=false"], SafeEnvironment());

        Assert.Equal(0, exitCode);
        Assert.Contains("warning: RateLimits:Enabled: Rate limiting is off", output, StringComparison.Ordinal);
        Assert.Contains("0 error(s), 1 warning(s).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenPublicUrlAndHttpsAreSet_AcceptsAWildcardAddress()
    {
        var environment = SafeEnvironment();
        environment["CAREVAULT_PUBLICURL"] = "https://records.example";

        var (exitCode, output) = await CarevaultProcess.RunAsync(["security", "check", "--urls", "https://0.0.0.0:8443"], environment);

        Assert.Equal(0, exitCode);
        Assert.Contains("No unsafe settings found.", output, StringComparison.Ordinal);
    }
}
