using System.Text.RegularExpressions;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Portal.CheckIns;
using Carevault.Portal.Clinical;
using Carevault.Records.Store;
using Carevault.Storage;
using Microsoft.Playwright;

namespace Carevault.Browser.Tests;

/// <summary>A doctor's clinical work in headless chromium: alert, chart, note, prescription, and the author-only rule.</summary>
[Collection(ChromiumGroup.Name)]
public sealed class DoctorChartTests(ChromiumFixture chromium)
{
    const string Password = "a long enough passphrase";
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    static async Task<string> CreateAsync(PortalHost host, string tenant, string json)
    {
        var type = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()!;
        var created = await host.Get<ResourceStore>().CreateAsync(tenant, type, System.Text.Encoding.UTF8.GetBytes(json), default);
        Assert.True(created.IsSuccess, created.Error?.Message);
        return created.Value!.Id;
    }

    async Task<IPage> SignedInAsync(PortalHost host, string tenant, string username, string landing, int width = 1280)
    {
        var context = await chromium.Browser.NewContextAsync(new() { BaseURL = host.Address, ViewportSize = new() { Width = width, Height = 900 } });
        context.SetDefaultTimeout((float)Wait.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("Organisation", new() { Exact = true }).FillAsync(tenant);
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(new Regex(landing + "$"));
        return page;
    }

    [Fact]
    public async Task Patient_AnswersAPhq9_WithItem9Positive_SeesCrisisResourcesAtOnce_AndHerDoctorSeesTheAlert()
    {
        await using var host = await PortalHost.StartAsync(DatabaseProvider.Sqlite);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await host.Get<TenantStore>().CreateAsync(tenant, "St Elsewhere", default);
        var ada = await CreateAsync(host, tenant, """{"resourceType":"Practitioner","name":[{"family":"Okafor","given":["Ada"]}]}""");
        var patient = await CreateAsync(host, tenant, """{"resourceType":"Patient","name":[{"family":"Nwosu","given":["Amara"]}],"birthDate":"1990-06-15"}""");
        await host.Get<UserStore>().CreateAsync(tenant, "amara", Password, Roles.Patient, null, "Patient/" + patient, default);
        await host.Get<UserStore>().CreateAsync(tenant, "dr.okafor", Password, Roles.Doctor, null, "Practitioner/" + ada, default);
        var page = await SignedInAsync(host, tenant, "amara", "/my-record", width: 360);

        await page.GetByRole(AriaRole.Link, new() { Name = "Check-in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/check-in$"));
        Assert.Equal(0, await page.GetByRole(AriaRole.Alert).CountAsync());
        int[] answers = [1, 1, 1, 1, 0, 1, 0, 0, 2]; // item 9 ("better off dead or of hurting yourself"): more than half the days
        for (var q = 0; q < answers.Length; q++) await page.Locator($"#phq-9-q{q + 1}-{answers[q]}").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit PHQ-9", Exact = true }).ClickAsync();

        var crisis = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "You do not have to face this alone" });
        await crisis.WaitForAsync();
        Assert.Contains("988", await crisis.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Your PHQ-9 score: 7 of 27 (mild)", await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "score" }).InnerTextAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("phq", page.Url, StringComparison.OrdinalIgnoreCase);
        await Screenshots.SaveAsync(page, "patient-check-in-crisis-360px");
        await page.Context.CloseAsync();

        var doctor = await SignedInAsync(host, tenant, "dr.okafor", "/today");
        var alerts = await doctor.Locator("section[aria-labelledby=alerts]").InnerTextAsync();
        Assert.Contains("Amara Nwosu", alerts, StringComparison.Ordinal);
        Assert.Contains("PHQ-9 item 9 positive", alerts, StringComparison.Ordinal);
        await doctor.GetByRole(AriaRole.Button, new() { Name = "Open the chart of Amara Nwosu" }).ClickAsync();
        await doctor.GetByRole(AriaRole.Heading, new() { Name = "Chart: Amara Nwosu", Level = 1 }).WaitForAsync();
        Assert.Contains("PHQ-9", await doctor.Locator("section[aria-labelledby=chart-alerts]").InnerTextAsync(), StringComparison.Ordinal);
        await doctor.Context.CloseAsync();
    }

    [Fact]
    public async Task Doctor_SeesTheCheckInAlert_OpensTheChart_WritesANote_Prescribes_AndCannotChangeAnotherDoctorsNote()
    {
        await using var host = await PortalHost.StartAsync(DatabaseProvider.Sqlite);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await host.Get<TenantStore>().CreateAsync(tenant, "St Elsewhere", default);
        var ada = await CreateAsync(host, tenant, """{"resourceType":"Practitioner","name":[{"family":"Okafor","given":["Ada"]}]}""");
        var ben = await CreateAsync(host, tenant, """{"resourceType":"Practitioner","name":[{"family":"Berg","given":["Ben"]}]}""");
        var patient = await CreateAsync(host, tenant, """{"resourceType":"Patient","name":[{"family":"Nwosu","given":["Amara"]}],"birthDate":"1990-06-15"}""");
        await host.Get<UserStore>().CreateAsync(tenant, "dr.okafor", Password, Roles.Doctor, null, "Practitioner/" + ada, default);
        // Through the existing services: Amara's PHQ-9 with item 9 positive raises the alert; Dr Berg wrote a note.
        var amara = new CallerContext(tenant, "amara", "user", ScopeSet.Empty, Roles.Patient, "Patient/" + patient);
        var outcome = await host.Get<CheckIns>().SubmitAsync(amara, Instrument.Phq9, [1, 1, 1, 1, 0, 1, 0, 0, 2], null, default);
        Assert.True(outcome.Crisis);
        var berg = new CallerContext(tenant, "dr.berg", "user", ScopeSet.Empty, Roles.Doctor, "Practitioner/" + ben);
        Assert.True((await host.Get<ClinicalChart>().WriteNoteAsync(berg, patient, new NoteInput("Dr Berg's assessment.", null), null, default)).Ok);
        var page = await SignedInAsync(host, tenant, "dr.okafor", "/today");
        var alerts = page.Locator("section[aria-labelledby=alerts]");
        Assert.Contains("Amara Nwosu", await alerts.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("PHQ-9 item 9 positive", await alerts.InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "Patients", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/patients$"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the chart of Amara Nwosu" }).First.ClickAsync();

        await page.GetByRole(AriaRole.Heading, new() { Name = "Chart: Amara Nwosu", Level = 1 }).WaitForAsync();
        Assert.EndsWith("/chart", page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(patient, page.Url, StringComparison.Ordinal);
        Assert.Contains("PHQ-9 item 9 positive", await page.Locator("section[aria-labelledby=chart-alerts]").InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByLabel("Note", new() { Exact = true }).FillAsync("Called Amara today; safety plan agreed.\nReview in one week.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save note", Exact = true }).ClickAsync();
        await page.GetByText("The note is saved.").WaitForAsync();
        await page.GetByLabel("Medicine", new() { Exact = true }).FillAsync("Sertraline 50 mg tablet");
        await page.GetByLabel("RxNorm code (optional)", new() { Exact = true }).FillAsync("312940");
        await page.GetByLabel("Dosage", new() { Exact = true }).FillAsync("One tablet each morning");
        await page.GetByRole(AriaRole.Button, new() { Name = "Prescribe", Exact = true }).ClickAsync();
        await page.GetByText("The prescription is saved.").WaitForAsync();

        var notes = page.Locator("section[aria-labelledby=notes] li");
        Assert.Equal(2, await notes.CountAsync());
        // Her own note has a Change button; Dr Berg's has none.
        Assert.Equal(1, await notes.Filter(new() { HasText = "safety plan agreed" }).GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Change your note") }).CountAsync());
        Assert.Equal(0, await notes.Filter(new() { HasText = "Dr Berg's assessment." }).GetByRole(AriaRole.Button).CountAsync());
        var medications = await page.Locator("section[aria-labelledby=medications] ul").InnerTextAsync();
        Assert.Contains("Sertraline 50 mg tablet", medications, StringComparison.Ordinal);
        Assert.Contains("One tablet each morning", medications, StringComparison.Ordinal);
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(el => el.offsetParent !== null)
                .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent.trim()) && !el.getAttribute('aria-label'))
                .map(el => el.outerHTML)
            """);
        Assert.Empty(unlabelled);
        await Screenshots.SaveAsync(page, "doctor-chart");
        await page.SetViewportSizeAsync(360, 740);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the chart scrolls sideways at 360 px");

        // Dr Berg's note cannot be changed even by a post the page never offers: the server refuses and keeps it.
        var bergNote = (await host.Get<ClinicalChart>().ChartAsync(berg, patient, default))!.Notes.Single(n => n.Body == "Dr Berg's assessment.");
        await page.EvaluateAsync("""
            id => {
                const button = document.createElement('button');
                button.type = 'submit'; button.setAttribute('form', 'choose-form');
                button.name = 'Choose.Entry'; button.value = 'Note:' + id; button.id = 'forged'; button.textContent = 'forged';
                document.body.appendChild(button);
            }
            """, bergNote.Id);
        await page.Locator("#forged").ClickAsync();
        await page.GetByText("You can only change entries you wrote.").WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Heading, new() { Name = "Change your note" }).CountAsync());
        Assert.Equal(1, (await host.Get<ResourceStore>().ReadAsync(tenant, "DocumentReference", bergNote.Id, default)).Value!.VersionId);
        await page.Context.CloseAsync();
    }
}
