using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Identity;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>The account pages: registration, invitations, password reset, profile and the administrator's user list.</summary>
public sealed partial class PortalAccountTests
{
    const string Password = "a long enough passphrase";

    static async Task<string> TenantAsync(CarevaultApp app, bool allowRegistration = false)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        var tenants = app.Services.GetRequiredService<TenantStore>();
        await tenants.CreateAsync(tenant, "Hospital", default);
        if (allowRegistration) await tenants.SetPatientRegistrationAsync(tenant, true, default);
        return tenant;
    }

    static Dictionary<string, string> Registration(string tenant, string username, string password, string? confirm = null) => new()
    {
        ["Input.Tenant"] = tenant, ["Input.Username"] = username, ["Input.Email"] = "", ["Input.Password"] = password, ["Input.Confirm"] = confirm ?? password,
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Register_WhereTheTenantAllowsIt_CreatesAPatientWhoCanSignIn(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app, allowRegistration: true);
        using var browser = PortalBrowser.Open(app);

        using var registered = await browser.SubmitAsync("/register", "register", Registration(tenant, "new.patient", Password));
        using var taken = await browser.SubmitAsync("/register", "register", Registration(tenant, "new.patient", Password));
        using var signedIn = await browser.SignInAsync(tenant, "new.patient", Password);

        Assert.Equal(HttpStatusCode.Found, registered.StatusCode);
        Assert.Equal($"/login?registered=1&tenant={tenant}", PortalBrowser.Location(registered));
        Assert.Contains("id=\"username-error\">This username is taken; choose another.", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("/my-record", PortalBrowser.Location(signedIn));
        var me = await browser.Http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/api/me", UriKind.Relative));
        Assert.Equal(tenant, me.GetProperty("tenant").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Register_WhereTheTenantDoesNotAllowIt_CreatesNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        using var browser = PortalBrowser.Open(app);

        using var closed = await browser.SubmitAsync("/register", "register", Registration(tenant, "new.patient", Password));
        using var unknown = await browser.SubmitAsync("/register", "register", Registration("h-no-such-tenant", "new.patient", Password));

        foreach (var response in new[] { closed, unknown })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("role=\"alert\">Self-registration is not open for this organisation", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Empty(await app.Services.GetRequiredService<UserStore>().ListAsync(tenant, 10, default));
    }

    [Fact]
    public async Task Register_WithAWeakOrMismatchedPassword_ShowsTheReasonAtTheField()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(app, allowRegistration: true);
        using var browser = PortalBrowser.Open(app);

        var weak = await (await browser.SubmitAsync("/register", "register", Registration(tenant, "pat", "aaaaaaaaaaaaaaa"))).Content.ReadAsStringAsync();
        var mismatch = await (await browser.SubmitAsync("/register", "register", Registration(tenant, "pat", Password, "something else entirely"))).Content.ReadAsStringAsync();

        Assert.Contains("id=\"password-error\">A password needs more than three different characters.", weak, StringComparison.Ordinal);
        Assert.Contains("id=\"confirm-error\">The two passwords differ.", mismatch, StringComparison.Ordinal);
        Assert.Empty(await app.Services.GetRequiredService<UserStore>().ListAsync(tenant, 10, default));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Admin_InvitesAPerson_WhoActivatesTheAccountOnTheInvitationPage(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings());
        var tenant = await TenantAsync(app);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "admin", Password, Roles.Admin, default);
        using var admin = PortalBrowser.Open(app);
        (await admin.SignInAsync(tenant, "admin", Password)).Dispose();

        using var invited = await admin.SubmitAsync("/admin/users", "invite",
            new Dictionary<string, string> { ["Invite.Username"] = "dr.osei", ["Invite.Email"] = "osei@example.org", ["Invite.Role"] = Roles.Doctor });
        var page = await invited.Content.ReadAsStringAsync();
        Assert.Contains("Invitation sent to dr.osei.", page, StringComparison.Ordinal);
        Assert.Matches("<th scope=\"row\">dr.osei</th>\\s*<td>doctor</td>\\s*<td>invited</td>", page);

        var eml = await Mail.WaitForEmlAsync(app, m => m.Headers["To"] == "osei@example.org");
        var token = InvitationLink().Match(eml.Body).Groups[1].Value;
        using var doctor = PortalBrowser.Open(app);
        using var accepted = await doctor.SubmitAsync("/accept-invitation?token=" + token, "accept-invitation",
            new Dictionary<string, string> { ["Input.Token"] = token, ["Input.Password"] = "the doctor's passphrase", ["Input.Confirm"] = "the doctor's passphrase" });
        using var again = await doctor.SubmitAsync("/accept-invitation?token=" + token, "accept-invitation",
            new Dictionary<string, string> { ["Input.Token"] = token, ["Input.Password"] = "another passphrase!", ["Input.Confirm"] = "another passphrase!" });
        using var signedIn = await doctor.SignInAsync(tenant, "dr.osei", "the doctor's passphrase");

        Assert.Contains("Your account is active.", await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("role=\"alert\">This invitation link is not valid", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("/today", PortalBrowser.Location(signedIn));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Admin_DisablesAUserOfTheirTenant_OnlyTheirs(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = await TenantAsync(app);
        var other = await TenantAsync(app);
        var users = app.Services.GetRequiredService<UserStore>();
        await users.CreateAsync(tenant, "admin", Password, Roles.Admin, default);
        var nurse = await users.CreateAsync(tenant, "nurse", Password, Roles.Staff, default);
        var foreign = await users.CreateAsync(other, "nurse", Password, Roles.Staff, default);
        using var nurseBrowser = PortalBrowser.Open(app);
        (await nurseBrowser.SignInAsync(tenant, "nurse", Password)).Dispose();
        using var admin = PortalBrowser.Open(app);
        (await admin.SignInAsync(tenant, "admin", Password)).Dispose();

        var disabled = await (await admin.SubmitAsync("/admin/users", "user-status", new Dictionary<string, string> { ["Status.Action"] = "disable:" + nurse!.Id })).Content.ReadAsStringAsync();
        var crossTenant = await (await admin.SubmitAsync("/admin/users", "user-status", new Dictionary<string, string> { ["Status.Action"] = "disable:" + foreign!.Id })).Content.ReadAsStringAsync();

        Assert.Contains("The user is disabled and their sessions have ended.", disabled, StringComparison.Ordinal);
        Assert.Matches("<th scope=\"row\">nurse</th>\\s*<td>staff</td>\\s*<td>disabled</td>", disabled);
        Assert.Contains("That user was not found.", crossTenant, StringComparison.Ordinal);
        Assert.Equal("active", (await users.ListAsync(other, 10, default)).Single().Status);
        Assert.Equal(HttpStatusCode.Found, (await nurseBrowser.Http.GetAsync(new Uri("/staff", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PasswordReset_ThroughThePages_SetsTheNewPassword(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings());
        var tenant = await TenantAsync(app);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, "pat@example.org", default);
        using var browser = PortalBrowser.Open(app);

        var requested = await (await browser.SubmitAsync("/forgot-password", "forgot-password",
            new Dictionary<string, string> { ["Input.Tenant"] = tenant, ["Input.Username"] = "pat" })).Content.ReadAsStringAsync();
        var unknown = await (await browser.SubmitAsync("/forgot-password", "forgot-password",
            new Dictionary<string, string> { ["Input.Tenant"] = tenant, ["Input.Username"] = "nobody" })).Content.ReadAsStringAsync();
        var eml = await Mail.WaitForEmlAsync(app, m => m.Headers["To"] == "pat@example.org");
        var token = ResetLink().Match(eml.Body).Groups[1].Value;
        var weak = await (await browser.SubmitAsync("/reset-password?token=" + token, "reset-password",
            new Dictionary<string, string> { ["Input.Token"] = token, ["Input.Password"] = "pat", ["Input.Confirm"] = "pat" })).Content.ReadAsStringAsync();
        var done = await (await browser.SubmitAsync("/reset-password?token=" + token, "reset-password",
            new Dictionary<string, string> { ["Input.Token"] = token, ["Input.Password"] = "a brand new passphrase", ["Input.Confirm"] = "a brand new passphrase" })).Content.ReadAsStringAsync();

        const string Sent = "If the account exists and has an email address, a reset link is on its way.";
        Assert.Contains(Sent, requested, StringComparison.Ordinal);
        Assert.Contains(Sent, unknown, StringComparison.Ordinal);
        Assert.Contains("id=\"password-error\">A password has 12 to 128 characters.", weak, StringComparison.Ordinal);
        Assert.Contains("Your password is changed", done, StringComparison.Ordinal);
        Assert.Equal("/my-record", PortalBrowser.Location(await browser.SignInAsync(tenant, "pat", "a brand new passphrase")));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Profile_TurnsOnTotp_AndSignInThenNeedsTheCode(DatabaseProvider provider)
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        await using var app = await CarevaultApp.StartAsync(provider, clock: clock);
        var tenant = await TenantAsync(app);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, default);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();

        using var setup = await browser.SubmitAsync("/profile", "totp-setup", new Dictionary<string, string>());
        var page = await setup.Content.ReadAsStringAsync();
        var secret = Base32.Decode(Regex.Match(page, "<code class=\"secret\">([A-Z2-7]+)</code>").Groups[1].Value)!;
        Assert.Equal("no-store", setup.Headers.CacheControl?.ToString());
        var wrong = await (await browser.Http.PostAsync(new Uri("/profile", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "totp-confirm", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(page, "totp-confirm"), ["Code.Value"] = "000000",
        }))).Content.ReadAsStringAsync();
        (await browser.SubmitAsync("/profile", "totp-setup", new Dictionary<string, string>())).Dispose(); // a fresh secret after the failure
        using var again = await browser.SubmitAsync("/profile", "totp-setup", new Dictionary<string, string>());
        page = await again.Content.ReadAsStringAsync();
        secret = Base32.Decode(Regex.Match(page, "<code class=\"secret\">([A-Z2-7]+)</code>").Groups[1].Value)!;
        var confirmed = await (await browser.Http.PostAsync(new Uri("/profile", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "totp-confirm", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(page, "totp-confirm"),
            ["Code.Value"] = Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())),
        }))).Content.ReadAsStringAsync();
        clock.Advance(TimeSpan.FromSeconds(Totp.DefaultStepSeconds));
        using var fresh = PortalBrowser.Open(app);
        using var withoutCode = await fresh.SignInAsync(tenant, "pat", Password);
        using var withCode = await fresh.SignInAsync(tenant, "pat", Password, Totp.Generate(secret, Totp.StepAt(clock.GetUtcNow())));

        Assert.Contains("The code does not match.", wrong, StringComparison.Ordinal);
        Assert.Contains("The authenticator app is on", confirmed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withoutCode.StatusCode);
        Assert.Contains("enter its current code too", await withoutCode.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("/my-record", PortalBrowser.Location(withCode));
    }

    [Fact]
    public async Task Profile_ChangePassword_WithTheWrongCurrentPassword_SaysSoAtThatField()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = await TenantAsync(app);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "doc", Password, Roles.Doctor, default);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "doc", Password)).Dispose();

        var wrong = await (await browser.SubmitAsync("/profile", "change-password", new Dictionary<string, string>
        {
            ["Password.Current"] = "not my passphrase", ["Password.New"] = "a brand new passphrase", ["Password.Confirm"] = "a brand new passphrase",
        })).Content.ReadAsStringAsync();
        var changed = await (await browser.SubmitAsync("/profile", "change-password", new Dictionary<string, string>
        {
            ["Password.Current"] = Password, ["Password.New"] = "a brand new passphrase", ["Password.Confirm"] = "a brand new passphrase",
        })).Content.ReadAsStringAsync();

        Assert.Contains("id=\"current-password-error\">The current password is not correct.", wrong, StringComparison.Ordinal);
        Assert.Contains("Your password is changed.", changed, StringComparison.Ordinal);
        using var fresh = PortalBrowser.Open(app);
        Assert.Equal("/today", PortalBrowser.Location(await fresh.SignInAsync(tenant, "doc", "a brand new passphrase")));
    }

    [GeneratedRegex("accept-invitation\\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex InvitationLink();

    [GeneratedRegex("reset-password\\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex ResetLink();
}
