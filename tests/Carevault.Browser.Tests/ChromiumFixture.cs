using Microsoft.Playwright;

namespace Carevault.Browser.Tests;

/// <summary>
/// One headless Debian chromium for the test run, driven by Playwright. Playwright's own browser download is never
/// used: the executable is the Debian package's (build/apt-packages.txt), and the flags keep it off the network.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"{ExecutablePath} is missing: install the Debian package 'chromium' (./build.sh test does).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ChromiumGroup : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "chromium";
}

/// <summary>Where screenshots go: <c>CAREVAULT_SCREENSHOTS</c>, else artifacts/test-results/screenshots in the repository (collected with the TRX files).</summary>
public static class Screenshots
{
    public static string Directory { get; } = Environment.GetEnvironmentVariable("CAREVAULT_SCREENSHOTS") is { Length: > 0 } configured ? configured : Default();

    static string Default()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Carevault.slnx"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "test-results", "screenshots");
    }

    public static Task SaveAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return page.ScreenshotAsync(new() { Path = Path.Combine(Directory, name + ".png"), FullPage = true });
    }
}
