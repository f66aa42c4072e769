using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Portal.CheckIns;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>Check-ins through the portal: stored as QuestionnaireResponse; PHQ-9 item 9 shows crisis help and alerts doctors.</summary>
public sealed class PortalCheckInTests
{
    const string Password = "a long enough passphrase";

    static async Task<(string Tenant, string PatientId)> ClinicAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var patient = (await store.CreateAsync(tenant, "Patient", Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"text":"Carol Check"}]}"""), default)).Value!.Id;
        var practitioner = (await store.CreateAsync(tenant, "Practitioner", Encoding.UTF8.GetBytes("""{"resourceType":"Practitioner","name":[{"family":"Okafor"}]}"""), default)).Value!.Id;
        var users = app.Services.GetRequiredService<UserStore>();
        await users.CreateAsync(tenant, "carol", Password, Roles.Patient, null, "Patient/" + patient, default);
        await users.CreateAsync(tenant, "doctor", Password, Roles.Doctor, null, "Practitioner/" + practitioner, default);
        return (tenant, patient);
    }

    static async Task<List<JsonElement>> SearchAsync(CarevaultApp app, string tenant, string type)
    {
        var query = app.Services.GetRequiredService<SearchQueryParser>().Parse(type, [new("_count", "100")], strict: true).Value!;
        var page = await app.Services.GetRequiredService<ResourceStore>().SearchAsync(tenant, query, default);
        return page.Resources.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone()).ToList();
    }

    static Dictionary<string, string> Answers(string key, params int[] answers) =>
        answers.Select((a, i) => (Name: $"{key}-q{i + 1}", Value: a)).ToDictionary(x => x.Name, x => x.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Phq9_WithItem9Positive_ShowsCrisisResourcesAtOnce_AndAlertsTheDoctor(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, patientId) = await ClinicAsync(app);
        using var carol = PortalBrowser.Open(app);
        (await carol.SignInAsync(tenant, "carol", Password)).Dispose();

        using var response = await carol.SubmitAsync("/check-in", "phq-9", Answers("phq-9", 1, 2, 1, 1, 0, 1, 1, 0, 1));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("class=\"crisis\" role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("Your PHQ-9 score: 8 of 27 (Mild)", html, StringComparison.Ordinal);
        var answer = Assert.Single(await SearchAsync(app, tenant, "QuestionnaireResponse"));
        Assert.Equal("urn:carevault:questionnaire:phq-9", answer.GetProperty("questionnaire").GetString());
        Assert.Equal("Patient/" + patientId, answer.GetProperty("subject").GetProperty("reference").GetString());
        var flag = Assert.Single(await SearchAsync(app, tenant, "Flag"));
        Assert.Equal("active", flag.GetProperty("status").GetString());
        Assert.Equal("Patient/" + patientId, flag.GetProperty("subject").GetProperty("reference").GetString());
        Assert.Equal(CheckIns.AlertSystem, flag.GetProperty("identifier")[0].GetProperty("system").GetString());

        using var doctor = PortalBrowser.Open(app);
        (await doctor.SignInAsync(tenant, "doctor", Password)).Dispose();
        var (_, today) = await doctor.GetAsync("/today");
        var alerts = today[today.IndexOf("id=\"alerts\"", StringComparison.Ordinal)..];
        Assert.Contains("Carol Check", alerts, StringComparison.Ordinal);
        Assert.Contains("PHQ-9 item 9 positive", alerts, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task CheckIns_WithoutItem9_RaiseNoAlert_KeepOneQuestionnaire_AndShowHistory(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, _) = await ClinicAsync(app);
        using var carol = PortalBrowser.Open(app);
        (await carol.SignInAsync(tenant, "carol", Password)).Dispose();

        using var first = await carol.SubmitAsync("/check-in", "gad-7", Answers("gad-7", 3, 3, 2, 2, 2, 2, 1));
        using var second = await carol.SubmitAsync("/check-in", "gad-7", Answers("gad-7", 0, 1, 0, 1, 0, 0, 0));
        using var third = await carol.SubmitAsync("/check-in", "phq-9", Answers("phq-9", 0, 0, 0, 0, 0, 0, 0, 0, 0));

        var html = await second.Content.ReadAsStringAsync();
        Assert.Contains("Your GAD-7 score: 2 of 21 (Minimal)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"crisis\"", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Severe", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await SearchAsync(app, tenant, "Flag"));
        Assert.Equal(3, (await SearchAsync(app, tenant, "QuestionnaireResponse")).Count);
        Assert.Equal(["urn:carevault:questionnaire:gad-7", "urn:carevault:questionnaire:phq-9"],
            (await SearchAsync(app, tenant, "Questionnaire")).Select(q => q.GetProperty("url").GetString()).Order(StringComparer.Ordinal));
        var (_, page) = await carol.GetAsync("/check-in");
        Assert.Contains("role=\"img\"", page, StringComparison.Ordinal);
        Assert.Contains(": 15 points (outside range)", page, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task CheckIn_WithAMissingAnswer_ShowsItInline_AndStoresNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, _) = await ClinicAsync(app);
        using var carol = PortalBrowser.Open(app);
        (await carol.SignInAsync(tenant, "carol", Password)).Dispose();
        var answers = Answers("phq-9", 1, 1, 1, 1, 1, 1, 1, 1, 1);
        answers.Remove("phq-9-q4");
        answers["phq-9-q9"] = "7";

        using var response = await carol.SubmitAsync("/check-in", "phq-9", answers);

        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"phq-9-q4-error\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"phq-9-q9-error\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"crisis\"", html, StringComparison.Ordinal);
        Assert.Empty(await SearchAsync(app, tenant, "QuestionnaireResponse"));
        Assert.Empty(await SearchAsync(app, tenant, "Flag"));
    }
}
