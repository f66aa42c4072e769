using System.Net;
using System.Text;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Portal.Records;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>"My record": a patient sees their own Patient's entries, through the record store, and nobody else's.</summary>
public sealed class PortalRecordsTests
{
    const string Password = "a long enough passphrase";

    static async Task<string> CreateAsync(ResourceStore store, string tenant, string type, string json)
    {
        var created = await store.CreateAsync(tenant, type, Encoding.UTF8.GetBytes(json), default);
        Assert.True(created.IsSuccess, created.Error?.Message);
        return created.Value!.Id;
    }

    static string Patient(string family) => $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""";

    /// <summary>A patient user linked (users.fhir_user) to <paramref name="patientId"/>.</summary>
    static Task<User?> PatientUserAsync(CarevaultApp app, string tenant, string? patientId) =>
        app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, email: null, patientId is null ? null : "Patient/" + patientId, default);

    static string Condition(string patientId, string text) =>
        $$"""{"resourceType":"Condition","subject":{"reference":"Patient/{{patientId}}"},"code":{"text":"{{text}}"},"onsetDateTime":"2024-03-01"}""";

    static string Lab(string patientId, decimal value, string date) => $$$"""
        {"resourceType":"Observation","status":"final",
         "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
         "code":{"text":"Potassium"},"subject":{"reference":"Patient/{{{patientId}}}"},"effectiveDateTime":"{{{date}}}",
         "valueQuantity":{"value":{{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"unit":"mmol/L"},
         "referenceRange":[{"low":{"value":3.5},"high":{"value":5.1}}]}
        """;

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task MyRecord_ShowsTheLinkedPatientsEntriesOnly_WithAbnormalLabsMarked(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        var other = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(other, "Elsewhere", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var mine = await CreateAsync(store, tenant, "Patient", Patient("Mine"));
        var neighbour = await CreateAsync(store, tenant, "Patient", Patient("Neighbour"));
        var foreign = await CreateAsync(store, other, "Patient", Patient("Foreign"));
        await PatientUserAsync(app, tenant, mine);
        await CreateAsync(store, tenant, "Condition", Condition(mine, "Asthma"));
        await CreateAsync(store, tenant, "Condition", Condition(neighbour, "Gout"));
        await CreateAsync(store, other, "Condition", Condition(foreign, "Foreign condition"));
        await CreateAsync(store, tenant, "Observation", Lab(mine, 4.2m, "2024-01-05"));
        await CreateAsync(store, tenant, "Observation", Lab(mine, 6.3m, "2024-02-05"));
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();

        var (status, html) = await browser.GetAsync("/my-record");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Asthma", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Gout", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Foreign condition", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not connected yet", html, StringComparison.Ordinal);
        Assert.Contains("No allergies are recorded.", html, StringComparison.Ordinal);
        // Newest first: the high potassium is the first row, marked; the normal one is not.
        var rows = html[html.IndexOf("<tbody>", StringComparison.Ordinal)..].Split("<tr", StringSplitOptions.None)[1..];
        Assert.Equal(2, rows.Length);
        Assert.Contains("class=\"abnormal\"", rows[0], StringComparison.Ordinal);
        Assert.Contains("6.3 mmol/L", rows[0], StringComparison.Ordinal);
        Assert.Contains("3.5 to 5.1", rows[0], StringComparison.Ordinal);
        Assert.DoesNotContain("abnormal", rows[1], StringComparison.Ordinal);
        // The trend chart states its values in text for screen readers.
        Assert.Contains("role=\"img\"", html, StringComparison.Ordinal);
        Assert.Contains("5 Feb 2024: 6.3 mmol/L (outside range)", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task MyRecord_LinkedToAnotherTenantsPatientId_ShowsNothingOfIt(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        var other = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(other, "Elsewhere", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var foreign = await CreateAsync(store, other, "Patient", Patient("Foreign"));
        await CreateAsync(store, other, "Condition", Condition(foreign, "Foreign condition"));
        // The link names an id that exists only in the other tenant: the tenant comes from the session, so it finds nothing.
        await PatientUserAsync(app, tenant, foreign);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();

        var (status, html) = await browser.GetAsync("/my-record");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("Foreign condition", html, StringComparison.Ordinal);
        Assert.Contains("No conditions are recorded.", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task MyRecord_WithNoLinkedPatient_ShowsEmptyStates(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        await PatientUserAsync(app, tenant, patientId: null);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();

        var (status, html) = await browser.GetAsync("/my-record");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Your record is not connected yet", html, StringComparison.Ordinal);
        Assert.Contains("No conditions are recorded.", html, StringComparison.Ordinal);
        Assert.Contains("No visits are recorded.", html, StringComparison.Ordinal);
        Assert.Contains("No lab results yet.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MyRecord_WithMoreLabsThanAPage_ShowsTheNewestFirst()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var mine = await CreateAsync(store, tenant, "Patient", Patient("Mine"));
        await PatientUserAsync(app, tenant, mine);
        var first = new DateOnly(2023, 1, 1);
        var count = PortalRecords.ListSize + 10;
        for (var i = 0; i < count; i++)
            await CreateAsync(store, tenant, "Observation", Lab(mine, 4.0m, first.AddDays(i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();

        var (_, html) = await browser.GetAsync("/my-record");

        var rows = html[html.IndexOf("<tbody>", StringComparison.Ordinal)..].Split("<tr", StringSplitOptions.None)[1..];
        Assert.Equal(PortalRecords.ListSize, rows.Length);
        Assert.Contains(first.AddDays(count - 1).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture), rows[0], StringComparison.Ordinal);
        Assert.Contains(first.AddDays(count - PortalRecords.ListSize).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture), rows[^1], StringComparison.Ordinal);
    }
}
