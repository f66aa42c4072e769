using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Server.Security;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

public sealed partial class PortalSignInTests
{
    const string Password = "a long enough passphrase";

    static async Task<string> TenantWithUserAsync(CarevaultApp app, string username, string role)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital " + tenant, default);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, username, Password, role, default);
        return tenant;
    }

    [Fact]
    public async Task LoginPage_LabelsEveryInput_CarriesAToken_AndLoadsOnlyOwnScriptsUnderTheDefaultCsp()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = PortalBrowser.Open(app);

        using var response = await browser.Http.GetAsync(new Uri("/login", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpHardening.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("'unsafe-inline'", HttpHardening.ContentSecurityPolicy.Split(';').Single(d => d.Contains("default-src", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.NotEmpty(PortalBrowser.TokenOf(html, "sign-in"));
        var inputs = Inputs().Matches(html).Select(m => m.Groups["attrs"].Value).Where(a => !a.Contains("type=\"hidden\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, inputs.Count);
        foreach (var attrs in inputs)
        {
            var id = Regex.Match(attrs, "id=\"([^\"]+)\"").Groups[1].Value;
            Assert.Contains($"<label for=\"{id}\">", html, StringComparison.Ordinal);
        }
        // Every script is a file of ours (none inline, none from elsewhere), and each one is served.
        var scripts = Scripts().Matches(html);
        Assert.NotEmpty(scripts);
        foreach (Match script in scripts)
        {
            Assert.True(string.IsNullOrWhiteSpace(script.Groups["body"].Value), "an inline script would be blocked by the CSP");
            var src = Regex.Match(script.Groups["attrs"].Value, "src=\"(?<s>[^\"]+)\"").Groups["s"].Value;
            Assert.DoesNotContain("//", src, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync(new Uri("/" + src.TrimStart('/'), UriKind.Relative))).StatusCode);
        }
        var css = Regex.Match(html, "<link rel=\"stylesheet\" href=\"(?<h>[^\"]+)\"").Groups["h"].Value;
        Assert.StartsWith("/_content/Carevault.Portal/", css, StringComparison.Ordinal);
        using var stylesheet = await browser.Http.GetAsync(new Uri(css, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
        Assert.Contains(":focus-visible", await stylesheet.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Login_ForgedPostWithoutAntiforgeryToken_IsRefusedAndSignsNoOneIn(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantWithUserAsync(app, "pat", Roles.Patient);
        using var browser = PortalBrowser.Open(app);

        using var forged = await browser.SubmitAsync("/login", "sign-in",
            new Dictionary<string, string> { ["Input.Tenant"] = tenant, ["Input.Username"] = "pat", ["Input.Password"] = Password }, withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("cv_session=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Login_WithGoodCredentials_SetsTheIdentitySessionCookie_AndLandsOnTheRolesPage(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantWithUserAsync(app, "pat", Roles.Patient);
        using var browser = PortalBrowser.Open(app);

        using var response = await browser.SignInAsync(tenant, "pat", Password);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/my-record", PortalBrowser.Location(response));
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("cv_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        // The same session works on the JSON API: one sign-in for both.
        var me = await browser.Http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/api/me", UriKind.Relative));
        Assert.Equal(tenant, me.GetProperty("tenant").GetString());
        var (status, html) = await browser.GetAsync("/my-record");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Signed in as <strong>pat</strong>", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Login_WithAWrongPassword_ShowsAnInlineError_AndSetsNoSession(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantWithUserAsync(app, "pat", Roles.Patient);
        using var browser = PortalBrowser.Open(app);

        using var response = await browser.SignInAsync(tenant, "pat", "not the passphrase at all");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("role=\"alert\">The sign-in details are not valid", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not the passphrase at all", html, StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("cv_session=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Login_WithMissingFields_ShowsAMessageAtEachField()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = PortalBrowser.Open(app);

        using var response = await browser.SubmitAsync("/login", "sign-in", new Dictionary<string, string> { ["Input.Tenant"] = "", ["Input.Username"] = "", ["Input.Password"] = "" });
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"tenant-error\">Enter your organisation.", html, StringComparison.Ordinal);
        Assert.Contains("id=\"username-error\">Enter your username.", html, StringComparison.Ordinal);
        Assert.Contains("id=\"password-error\">Enter your password.", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/my-record")]
    [InlineData("/today")]
    [InlineData("/admin/users")]
    [InlineData("/profile")]
    public async Task Page_WithoutASession_RedirectsToSignIn(string path)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = PortalBrowser.Open(app);

        using var response = await browser.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/login?returnUrl=" + Uri.EscapeDataString(path), PortalBrowser.Location(response));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Page_OfAnotherRole_SendsToNotAllowed(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantWithUserAsync(app, "pat", Roles.Patient);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();

        using var admin = await browser.Http.GetAsync(new Uri("/admin/users", UriKind.Relative));
        using var doctor = await browser.Http.GetAsync(new Uri("/today", UriKind.Relative));
        var (status, html) = await browser.GetAsync("/not-allowed");

        Assert.Equal("/not-allowed", PortalBrowser.Location(admin));
        Assert.Equal("/not-allowed", PortalBrowser.Location(doctor));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("href=\"/my-record\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SignOut_EndsTheSessionEverywhere(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantWithUserAsync(app, "doc", Roles.Doctor);
        using var browser = PortalBrowser.Open(app);
        using var signedIn = await browser.SignInAsync(tenant, "doc", Password);
        var token = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("cv_session=", StringComparison.Ordinal)).Split(';')[0]["cv_session=".Length..];

        using var signedOut = await browser.SubmitAsync("/today", "sign-out", new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Found, signedOut.StatusCode);
        Assert.Equal("/login?signedOut=1", PortalBrowser.Location(signedOut));
        Assert.Null(await app.Services.GetRequiredService<SignInService>().FindSessionAsync(token, default));
        Assert.Equal(HttpStatusCode.Found, (await browser.Http.GetAsync(new Uri("/today", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    public async Task Login_WithAForeignReturnUrl_StaysOnThisSite(string returnUrl)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantWithUserAsync(app, "pat", Roles.Patient);
        using var browser = PortalBrowser.Open(app);
        var path = "/login?returnUrl=" + Uri.EscapeDataString(returnUrl);
        var (_, html) = await browser.GetAsync(path);

        using var response = await browser.Http.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(html, "sign-in"),
            ["Input.Tenant"] = tenant, ["Input.Username"] = "pat", ["Input.Password"] = Password,
        }));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/my-record", PortalBrowser.Location(response));
    }

    [GeneratedRegex("<input(?<attrs>[^>]*)>")]
    private static partial Regex Inputs();

    [GeneratedRegex("<script(?<attrs>[^>]*)>(?<body>.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex Scripts();
}
