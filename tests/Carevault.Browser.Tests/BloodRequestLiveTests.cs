using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Playwright;

namespace Carevault.Browser.Tests;

/// <summary>
/// Blood requests live (decision 0021): staff broadcast from one browser, and a patient signed in in a second browser
/// context sees the request arrive on their dashboard and hears it in the live region — without reloading — and sees it
/// leave when staff close it.
/// </summary>
[Collection(ChromiumGroup.Name)]
public sealed class BloodRequestLiveTests(ChromiumFixture chromium)
{
    const string Password = "a long enough passphrase";
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    async Task<IPage> OpenAsync(PortalHost host, int width, int height)
    {
        var context = await chromium.Browser.NewContextAsync(new() { BaseURL = host.Address, ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout((float)Wait.TotalMilliseconds);
        return await context.NewPageAsync();
    }

    static async Task SignInAsync(IPage page, string tenant, string username)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Organisation", new() { Exact = true }).FillAsync(tenant);
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task StaffBroadcast_ReachesASignedInPatientsDashboard_WithoutReloading(DatabaseProvider provider)
    {
        await using var host = await PortalHost.StartAsync(provider);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await host.Get<TenantStore>().CreateAsync(tenant, "St Elsewhere", default);
        var patient = await host.Get<ResourceStore>().CreateAsync(tenant, "Patient", System.Text.Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"text":"Olu Okoro"}]}"""), default);
        var users = host.Get<UserStore>();
        await users.CreateAsync(tenant, "olu", Password, Roles.Patient, "olu@example.org", "Patient/" + patient.Value!.Id, default);
        await users.CreateAsync(tenant, "desk", Password, Roles.Staff, default);

        var donor = await OpenAsync(host, 360, 740);
        await SignInAsync(donor, tenant, "olu");
        await donor.WaitForURLAsync("**/my-record");
        await donor.Locator("[data-live-state=open]").WaitForAsync();
        Assert.True(await donor.GetByText("No open blood requests.").IsVisibleAsync());
        // A marker that a reload would wipe.
        await donor.EvaluateAsync("() => { window.notReloaded = true; }");

        var staff = await OpenAsync(host, 1280, 900);
        await SignInAsync(staff, tenant, "desk");
        await staff.WaitForURLAsync("**/staff");
        await staff.GetByRole(AriaRole.Link, new() { Name = "Send or manage blood requests" }).ClickAsync();
        await staff.GetByLabel("Blood group needed").SelectOptionAsync("O-");
        await staff.GetByLabel("Units").FillAsync("2");
        await staff.GetByLabel("Other site").FillAsync("Ward 7");
        await staff.GetByLabel("Urgency").SelectOptionAsync("stat");
        await Screenshots.SaveAsync(staff, $"blood-request-form-{provider}");
        await staff.GetByRole(AriaRole.Button, new() { Name = "Send the blood request" }).ClickAsync();
        await staff.GetByText("The blood request is sent.").WaitForAsync();

        const string Text = "2 units of O negative blood needed at Ward 7 (emergency)";
        var item = donor.Locator("[data-live-list] li", new() { HasText = Text });
        await item.WaitForAsync();
        Assert.Equal("New blood request: " + Text + ".", (await donor.Locator("[data-live-announce]").InnerTextAsync()).Trim());
        Assert.Equal("polite", await donor.Locator("[data-live-announce]").GetAttributeAsync("aria-live"));
        Assert.False(await donor.GetByText("No open blood requests.").IsVisibleAsync());
        Assert.True(await donor.EvaluateAsync<bool>("() => window.notReloaded === true"), "the dashboard reloaded");
        Assert.True(await donor.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 360 px");
        await Screenshots.SaveAsync(donor, $"blood-request-live-360px-{provider}");

        await staff.GetByRole(AriaRole.Button, new() { Name = "Close the request: " + Text }).ClickAsync();
        await staff.GetByText("The request is closed").WaitForAsync();
        await item.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal("Blood request closed: " + Text + ".", (await donor.Locator("[data-live-announce]").InnerTextAsync()).Trim());
        Assert.True(await donor.GetByText("No open blood requests.").IsVisibleAsync());
        Assert.True(await donor.EvaluateAsync<bool>("() => window.notReloaded === true"), "the dashboard reloaded");
        await Screenshots.SaveAsync(donor, $"blood-request-closed-360px-{provider}");
        await donor.Context.CloseAsync();
        await staff.Context.CloseAsync();
    }
}
