using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// The doctor's clinical work through the portal (issue 8 items 2–3): patient list, chart, notes, conditions,
/// allergies and prescriptions, all stored as FHIR; only an entry's author changes it; the patient's My medications.
/// </summary>
public sealed partial class PortalClinicalTests
{
    const string Password = PortalTestData.Password;

    internal sealed record Clinic(CarevaultApp App, string Tenant, string DoctorA, string DoctorB, string PatientA, string PatientB, string Encounter)
    {
        public ResourceStore Store => App.Services.GetRequiredService<ResourceStore>();

        public Task<List<JsonElement>> SearchAsync(string type, params (string Name, string Value)[] criteria) =>
            PortalTestData.SearchAsync(App, Tenant, type, criteria);

        public async Task<StoredResource> ReadAsync(string type, string id) => (await Store.ReadAsync(Tenant, type, id, default)).Value!;

        public Task<PortalBrowser> SignInAsync(string username) => PortalTestData.SignInAsync(App, Tenant, username);
    }

    internal static Task<string> CreateAsync(ResourceStore store, string tenant, string json) => PortalTestData.CreateAsync(store, tenant, json);

    internal static async Task<Clinic> ClinicAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var users = app.Services.GetRequiredService<UserStore>();
        var ada = await CreateAsync(store, tenant, """{"resourceType":"Practitioner","name":[{"family":"Okafor","given":["Ada"]}]}""");
        var ben = await CreateAsync(store, tenant, """{"resourceType":"Practitioner","name":[{"family":"Berg","given":["Ben"]}]}""");
        var alice = await CreateAsync(store, tenant, """{"resourceType":"Patient","name":[{"family":"Able","given":["Alice"]}],"birthDate":"1980-04-30","identifier":[{"system":"urn:mrn","value":"MRN-1001"}]}""");
        var bob = await CreateAsync(store, tenant, """{"resourceType":"Patient","name":[{"family":"Baker","given":["Bob"]}],"birthDate":"1975-01-02"}""");
        var encounter = await CreateAsync(store, tenant, $$$"""{"resourceType":"Encounter","status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"},"subject":{"reference":"Patient/{{{alice}}}"},"period":{"start":"2026-01-05T09:00:00Z"}}""");
        await users.CreateAsync(tenant, "ada", Password, Roles.Doctor, null, "Practitioner/" + ada, default);
        await users.CreateAsync(tenant, "ben", Password, Roles.Doctor, null, "Practitioner/" + ben, default);
        await users.CreateAsync(tenant, "alice", Password, Roles.Patient, null, "Patient/" + alice, default);
        await users.CreateAsync(tenant, "bob", Password, Roles.Patient, null, "Patient/" + bob, default);
        return new Clinic(app, tenant, ada, ben, alice, bob, encounter);
    }

    /// <summary>A doctor's open chart: the sealed patient choice the chart's forms carry, and the page as last shown.</summary>
    internal sealed class OpenChart(PortalBrowser browser, string token, string html)
    {
        public PortalBrowser Browser { get; } = browser;
        public string Token { get; } = token;
        public string Html { get; private set; } = html;
        public HttpStatusCode Status { get; private set; } = HttpStatusCode.OK;

        /// <summary>Posts a chart form with the page's anti-forgery token and the sealed choice in its <c>{prefix}.Patient</c> field.</summary>
        public async Task<string> PostAsync(string handler, string prefix, Dictionary<string, string> fields, bool withToken = true)
        {
            var form = new Dictionary<string, string>(fields) { ["_handler"] = handler, [prefix + ".Patient"] = Token };
            // A forged edit names a form the page did not show (the edit form appears once an own entry is chosen):
            // the page's token is the same in every form, so take the note form's.
            var shown = Html.Contains($"name=\"_handler\" value=\"{handler}\"", StringComparison.Ordinal) ? handler : "note";
            if (withToken) form["__RequestVerificationToken"] = PortalBrowser.TokenOf(Html, shown);
            using var response = await Browser.Http.PostAsync(new Uri("/chart", UriKind.Relative), new FormUrlEncodedContent(form));
            Status = response.StatusCode;
            var html = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode) Html = html;
            return html;
        }
    }

    /// <summary>Finds the patient on /patients and opens the chart with the row's button (a post: nothing in the URL).</summary>
    internal static async Task<OpenChart> OpenChartAsync(PortalBrowser doctor, string patientName)
    {
        var (status, list) = await doctor.GetAsync("/patients");
        Assert.Equal(HttpStatusCode.OK, status);
        var token = ButtonValue(list, $"Open the chart of {patientName}");
        using var response = await doctor.Http.PostAsync(new Uri("/chart", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-chart", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(list, "open-chart"), ["Open.Token"] = token,
        }));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"Chart: {patientName}", html, StringComparison.Ordinal);
        return new OpenChart(doctor, token, html);
    }

    internal static string ButtonValue(string html, string label)
    {
        var match = Regex.Match(html, "value=\"([^\"]+)\" aria-label=\"" + Regex.Escape(label) + "\"");
        Assert.True(match.Success, $"no button '{label}' on the page");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    static string NoteText(JsonElement note) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(note.GetProperty("content")[0].GetProperty("attachment").GetProperty("data").GetString()!));

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task DoctorWritesNote_AddsConditionAndAllergy_PrescribesAndStops_AllStoredAsFhirAndAudited(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var ada = await clinic.SignInAsync("ada");
        var (_, list) = await ada.GetAsync("/patients");
        Assert.Contains("Alice Able", list, StringComparison.Ordinal);
        Assert.Contains("MRN-1001", list, StringComparison.Ordinal);
        // The list's buttons carry sealed choices, never the Patient id.
        Assert.DoesNotContain(clinic.PatientA, list, StringComparison.Ordinal);
        var reader = app.Services.GetRequiredService<AuditReader>();
        var before = await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default);

        var chart = await OpenChartAsync(ada, "Alice Able");

        Assert.Contains("No notes yet.", chart.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(clinic.PatientA, chart.Html, StringComparison.Ordinal);
        var opened = (await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default)).Where(r => before.All(b => b.Seq != r.Seq)).ToList();
        // /patients (search) was read before; opening the chart is one "read" record naming the patient.
        var read = Assert.Single(opened, r => r.Record.Action == "read").Record;
        Assert.Contains("Patient/" + clinic.PatientA, read.Entities);
        Assert.Equal(AuditOutcomes.Success, read.Outcome);

        await chart.PostAsync("note", "Note", new() { ["Note.Text"] = "Seen today.\nBlood pressure 128/82.", ["Note.EncounterId"] = clinic.Encounter });
        Assert.Contains("The note is saved.", chart.Html, StringComparison.Ordinal);
        var note = Assert.Single(await clinic.SearchAsync("DocumentReference", ("patient", "Patient/" + clinic.PatientA)));
        Assert.Equal("current", note.GetProperty("status").GetString());
        Assert.Equal("11506-3", note.GetProperty("type").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("Practitioner/" + clinic.DoctorA, note.GetProperty("author")[0].GetProperty("reference").GetString());
        Assert.Equal("Dr Ada Okafor", note.GetProperty("author")[0].GetProperty("display").GetString());
        Assert.Equal("Encounter/" + clinic.Encounter, note.GetProperty("context").GetProperty("encounter")[0].GetProperty("reference").GetString());
        Assert.Equal("text/plain; charset=utf-8", note.GetProperty("content")[0].GetProperty("attachment").GetProperty("contentType").GetString());
        Assert.Equal("Seen today.\nBlood pressure 128/82.", NoteText(note));

        await chart.PostAsync("condition", "Condition", new() { ["Condition.Text"] = "Essential hypertension", ["Condition.Status"] = "active" });
        Assert.Contains("The condition is added.", chart.Html, StringComparison.Ordinal);
        var condition = Assert.Single(await clinic.SearchAsync("Condition", ("patient", "Patient/" + clinic.PatientA)));
        Assert.Equal("Essential hypertension", condition.GetProperty("code").GetProperty("text").GetString());
        Assert.Equal("active", condition.GetProperty("clinicalStatus").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("Practitioner/" + clinic.DoctorA, condition.GetProperty("recorder").GetProperty("reference").GetString());
        Assert.Equal("Patient/" + clinic.PatientA, condition.GetProperty("subject").GetProperty("reference").GetString());

        await chart.PostAsync("allergy", "Allergy", new() { ["Allergy.Text"] = "Penicillin", ["Allergy.Criticality"] = "high" });
        Assert.Contains("The allergy is added.", chart.Html, StringComparison.Ordinal);
        var allergy = Assert.Single(await clinic.SearchAsync("AllergyIntolerance", ("patient", "Patient/" + clinic.PatientA)));
        Assert.Equal("Penicillin", allergy.GetProperty("code").GetProperty("text").GetString());
        Assert.Equal("high", allergy.GetProperty("criticality").GetString());
        Assert.Equal("Practitioner/" + clinic.DoctorA, allergy.GetProperty("recorder").GetProperty("reference").GetString());

        await chart.PostAsync("prescribe", "Prescription", new()
        {
            ["Prescription.Medication"] = "Amlodipine 5 mg tablet", ["Prescription.RxNorm"] = "197361", ["Prescription.Dosage"] = "One tablet once a day", ["Prescription.EncounterId"] = clinic.Encounter,
        });
        Assert.Contains("The prescription is saved.", chart.Html, StringComparison.Ordinal);
        var request = Assert.Single(await clinic.SearchAsync("MedicationRequest", ("patient", "Patient/" + clinic.PatientA)));
        var requestId = request.GetProperty("id").GetString()!;
        Assert.Equal("active", request.GetProperty("status").GetString());
        Assert.Equal("order", request.GetProperty("intent").GetString());
        Assert.Equal("Amlodipine 5 mg tablet", request.GetProperty("medicationCodeableConcept").GetProperty("text").GetString());
        Assert.Equal("http://www.nlm.nih.gov/research/umls/rxnorm", request.GetProperty("medicationCodeableConcept").GetProperty("coding")[0].GetProperty("system").GetString());
        Assert.Equal("197361", request.GetProperty("medicationCodeableConcept").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("One tablet once a day", request.GetProperty("dosageInstruction")[0].GetProperty("text").GetString());
        Assert.Equal("Practitioner/" + clinic.DoctorA, request.GetProperty("requester").GetProperty("reference").GetString());
        Assert.Equal("Encounter/" + clinic.Encounter, request.GetProperty("encounter").GetProperty("reference").GetString());
        Assert.Equal("Patient/" + clinic.PatientA, request.GetProperty("subject").GetProperty("reference").GetString());

        // The patient sees it as current on My medications.
        using var alice = await clinic.SignInAsync("alice");
        var (_, mine) = await alice.GetAsync("/my-medications");
        Assert.Contains("Amlodipine 5 mg tablet", mine[mine.IndexOf("id=\"current\"", StringComparison.Ordinal)..mine.IndexOf("id=\"past\"", StringComparison.Ordinal)], StringComparison.Ordinal);

        await chart.PostAsync("stop", "Stop", new() { ["Stop.Entry"] = requestId + ":1" });
        Assert.Contains("The prescription is stopped.", chart.Html, StringComparison.Ordinal);
        var stopped = await clinic.ReadAsync("MedicationRequest", requestId);
        Assert.Equal(2, stopped.VersionId);
        Assert.Equal("stopped", JsonDocument.Parse(stopped.Body).RootElement.GetProperty("status").GetString());
        var (_, after) = await alice.GetAsync("/my-medications");
        Assert.Contains("You have no current prescriptions.", after, StringComparison.Ordinal);
        Assert.Contains("Amlodipine 5 mg tablet", after[after.IndexOf("id=\"past\"", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Contains("stopped", after, StringComparison.Ordinal);

        // Changing her own note: choose it, then save; the store keeps the first version.
        var noteId = note.GetProperty("id").GetString()!;
        await chart.PostAsync("choose", "Choose", new() { ["Choose.Entry"] = "Note:" + noteId });
        Assert.Contains("Change your note", chart.Html, StringComparison.Ordinal);
        await chart.PostAsync("edit", "Edit", new() { ["Edit.Kind"] = "Note", ["Edit.Id"] = noteId, ["Edit.Version"] = "1", ["Edit.Text"] = "Seen today. BP 128/82, recheck in 3 months." });
        Assert.Contains("Your change is saved.", chart.Html, StringComparison.Ordinal);
        var amended = await clinic.ReadAsync("DocumentReference", noteId);
        Assert.Equal(2, amended.VersionId);
        Assert.Equal("Seen today. BP 128/82, recheck in 3 months.", NoteText(JsonDocument.Parse(amended.Body).RootElement));
        Assert.Equal("amended", JsonDocument.Parse(amended.Body).RootElement.GetProperty("docStatus").GetString());
        var first = (await clinic.Store.ReadVersionAsync(clinic.Tenant, "DocumentReference", noteId, 1, default)).Value!;
        Assert.Equal("Seen today.\nBlood pressure 128/82.", NoteText(JsonDocument.Parse(first.Body).RootElement));

        // Every write was one audit record naming what it wrote.
        var records = (await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default)).Select(r => r.Record).ToList();
        Assert.Contains(records, r => r.Action == "create" && r.Entities.Contains("MedicationRequest/" + requestId) && r.Entities.Contains("Patient/" + clinic.PatientA));
        Assert.Contains(records, r => r.Action == "update" && r.Entities.Contains("MedicationRequest/" + requestId));
        Assert.Contains(records, r => r.Action == "update" && r.Entities.Contains("DocumentReference/" + noteId));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task DoctorChangingAnotherDoctorsEntry_IsRefused_AndNothingChanges(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var ben = await clinic.SignInAsync("ben");
        var bens = await OpenChartAsync(ben, "Alice Able");
        await bens.PostAsync("note", "Note", new() { ["Note.Text"] = "Ben's note." });
        await bens.PostAsync("condition", "Condition", new() { ["Condition.Text"] = "Asthma", ["Condition.Status"] = "active" });
        await bens.PostAsync("prescribe", "Prescription", new() { ["Prescription.Medication"] = "Salbutamol inhaler", ["Prescription.Dosage"] = "Two puffs when needed" });
        var noteId = Assert.Single(await clinic.SearchAsync("DocumentReference")).GetProperty("id").GetString()!;
        var conditionId = Assert.Single(await clinic.SearchAsync("Condition")).GetProperty("id").GetString()!;
        var requestId = Assert.Single(await clinic.SearchAsync("MedicationRequest")).GetProperty("id").GetString()!;
        using var ada = await clinic.SignInAsync("ada");
        var chart = await OpenChartAsync(ada, "Alice Able");
        // Ada sees Ben's entries, with no Change or Stop button on them.
        Assert.Contains("Ben&#x27;s note.", chart.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Change your note", chart.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("aria-label=\"Stop Salbutamol inhaler\"", chart.Html, StringComparison.Ordinal);

        // Forged posts naming Ben's entries at their current versions.
        var edit = await chart.PostAsync("edit", "Edit", new() { ["Edit.Kind"] = "Note", ["Edit.Id"] = noteId, ["Edit.Version"] = "1", ["Edit.Text"] = "Overwritten by Ada" });
        Assert.Equal(HttpStatusCode.Forbidden, chart.Status);
        Assert.Contains("You can only change entries you wrote. This one was written by Dr Ben Berg; nothing was changed.", edit, StringComparison.Ordinal);
        var conditionEdit = await chart.PostAsync("edit", "Edit", new() { ["Edit.Kind"] = "Condition", ["Edit.Id"] = conditionId, ["Edit.Version"] = "1", ["Edit.Text"] = "Not asthma", ["Edit.Status"] = "resolved" });
        Assert.Contains("You can only change entries you wrote.", conditionEdit, StringComparison.Ordinal);
        var stop = await chart.PostAsync("stop", "Stop", new() { ["Stop.Entry"] = requestId + ":1" });
        Assert.Contains("You can only change entries you wrote.", stop, StringComparison.Ordinal);
        var choose = await chart.PostAsync("choose", "Choose", new() { ["Choose.Entry"] = "Note:" + noteId });
        Assert.Contains("You can only change entries you wrote.", choose, StringComparison.Ordinal);
        Assert.DoesNotContain("Change your note", choose, StringComparison.Ordinal);

        var note = await clinic.ReadAsync("DocumentReference", noteId);
        Assert.Equal(1, note.VersionId);
        Assert.Equal("Ben's note.", NoteText(JsonDocument.Parse(note.Body).RootElement));
        Assert.Equal(1, (await clinic.ReadAsync("Condition", conditionId)).VersionId);
        var request = await clinic.ReadAsync("MedicationRequest", requestId);
        Assert.Equal(1, request.VersionId);
        Assert.Equal("active", JsonDocument.Parse(request.Body).RootElement.GetProperty("status").GetString());

        // Ben's own change at a version he no longer holds is refused (If-Match), not lost.
        await bens.PostAsync("edit", "Edit", new() { ["Edit.Kind"] = "Note", ["Edit.Id"] = noteId, ["Edit.Version"] = "1", ["Edit.Text"] = "Ben's note, corrected." });
        Assert.Contains("Your change is saved.", bens.Html, StringComparison.Ordinal);
        var stale = await bens.PostAsync("edit", "Edit", new() { ["Edit.Kind"] = "Note", ["Edit.Id"] = noteId, ["Edit.Version"] = "1", ["Edit.Text"] = "An older tab's text." });
        Assert.Equal(HttpStatusCode.Conflict, bens.Status);
        Assert.Contains("This entry changed after you opened the chart.", stale, StringComparison.Ordinal);
        Assert.Equal("Ben's note, corrected.", NoteText(JsonDocument.Parse((await clinic.ReadAsync("DocumentReference", noteId)).Body).RootElement));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientCannotOpenDoctorPages_NorAChartWithAnotherPersonsChoice(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var ada = await clinic.SignInAsync("ada");
        var chart = await OpenChartAsync(ada, "Bob Baker");
        using var alice = await clinic.SignInAsync("alice");

        using var list = await alice.Http.GetAsync(new Uri("/patients", UriKind.Relative));
        using var page = await alice.Http.GetAsync(new Uri("/chart", UriKind.Relative));
        var (_, mine) = await alice.GetAsync("/my-record");
        // Alice replays the doctor's sealed choice of Bob's chart with her own anti-forgery token.
        using var replay = await alice.Http.PostAsync(new Uri("/chart", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-chart", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(mine, "sign-out"), ["Open.Token"] = chart.Token,
        }));

        Assert.Equal("/not-allowed", PortalBrowser.Location(list));
        Assert.Equal("/not-allowed", PortalBrowser.Location(page));
        Assert.Equal("/not-allowed", PortalBrowser.Location(replay));
        Assert.DoesNotContain("Bob Baker", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // My medications is hers alone: Bob's prescriptions never show there.
        await chart.PostAsync("prescribe", "Prescription", new() { ["Prescription.Medication"] = "Metformin 500 mg", ["Prescription.Dosage"] = "Twice a day" });
        var (_, medications) = await alice.GetAsync("/my-medications");
        Assert.DoesNotContain("Metformin", medications, StringComparison.Ordinal);
        Assert.Contains("You have no current prescriptions.", medications, StringComparison.Ordinal);

        // Another doctor cannot use Ada's choice either: it is sealed to her account.
        using var ben = await clinic.SignInAsync("ben");
        var (_, bens) = await ben.GetAsync("/patients");
        using var stolen = await ben.Http.PostAsync(new Uri("/chart", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-chart", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(bens, "open-chart"), ["Open.Token"] = chart.Token,
        }));
        var html = await stolen.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        Assert.Contains("Choose the patient again", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Metformin", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Chart: Bob Baker", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ChartChoice_ExpiresAfterItsLifetime_AndAnExpiredOrAlteredChoiceWritesNothing(DatabaseProvider provider)
    {
        var clock = new TestClock(new DateTimeOffset(2030, 3, 4, 8, 0, 0, TimeSpan.Zero));
        await using var app = await CarevaultApp.StartAsync(provider, clock: clock);
        var clinic = await ClinicAsync(app);
        using var ada = await clinic.SignInAsync("ada");
        var chart = await OpenChartAsync(ada, "Alice Able");
        var altered = new OpenChart(ada, chart.Token[..^2] + (chart.Token.EndsWith("AA", StringComparison.Ordinal) ? "BB" : "AA"), chart.Html);

        var tampered = await altered.PostAsync("note", "Note", new() { ["Note.Text"] = "With an altered choice" });
        Assert.Equal(HttpStatusCode.BadRequest, altered.Status);
        Assert.Contains("Choose the patient again", tampered, StringComparison.Ordinal);
        clock.Advance(Carevault.Portal.Clinical.ChartSelection.Lifetime + TimeSpan.FromMinutes(1));
        var expired = await chart.PostAsync("note", "Note", new() { ["Note.Text"] = "After two hours" });

        Assert.Equal(HttpStatusCode.BadRequest, chart.Status);
        Assert.Contains("Choose the patient again", expired, StringComparison.Ordinal);
        Assert.DoesNotContain("Chart: Alice Able", expired, StringComparison.Ordinal);
        Assert.Empty(await clinic.SearchAsync("DocumentReference"));
        // Chosen again, the chart opens and takes the note.
        var again = await OpenChartAsync(ada, "Alice Able");
        await again.PostAsync("note", "Note", new() { ["Note.Text"] = "After choosing again" });
        Assert.Equal("After choosing again", NoteText(Assert.Single(await clinic.SearchAsync("DocumentReference"))));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ScriptInANote_RendersInert(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var ada = await clinic.SignInAsync("ada");
        var chart = await OpenChartAsync(ada, "Alice Able");

        await chart.PostAsync("note", "Note", new() { ["Note.Text"] = "<script>alert('x')</script><img src=x onerror=alert(1)>" });
        var (_, reopened) = await ada.GetAsync("/patients");

        Assert.Contains("The note is saved.", chart.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;", chart.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", chart.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", chart.Html, StringComparison.Ordinal);
        Assert.Equal("<script>alert('x')</script><img src=x onerror=alert(1)>", NoteText(Assert.Single(await clinic.SearchAsync("DocumentReference"))));
        Assert.DoesNotContain("<script>", reopened, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ForgedPostsWithoutAntiforgeryToken_AreRefused_AndStoreNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var ada = await clinic.SignInAsync("ada");
        var chart = await OpenChartAsync(ada, "Alice Able");

        await chart.PostAsync("note", "Note", new() { ["Note.Text"] = "Forged" }, withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, chart.Status);
        await chart.PostAsync("prescribe", "Prescription", new() { ["Prescription.Medication"] = "Forged", ["Prescription.Dosage"] = "Forged" }, withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, chart.Status);
        using var open = await ada.Http.PostAsync(new Uri("/chart", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-chart", ["Open.Token"] = chart.Token,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, open.StatusCode);
        Assert.DoesNotContain("Chart: Alice Able", await open.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await clinic.SearchAsync("DocumentReference"));
        Assert.Empty(await clinic.SearchAsync("MedicationRequest"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ChartForms_WithBadInput_ShowInlineMessages_AndStoreNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        var elsewhere = await ClinicAsync(app);
        using var ada = await clinic.SignInAsync("ada");
        var chart = await OpenChartAsync(ada, "Alice Able");

        var empty = await chart.PostAsync("note", "Note", new() { ["Note.Text"] = "  " });
        Assert.Contains("Enter the note.", empty, StringComparison.Ordinal);
        var rx = await chart.PostAsync("prescribe", "Prescription", new() { ["Prescription.Medication"] = "Aspirin", ["Prescription.RxNorm"] = "12ab", ["Prescription.Dosage"] = "Daily" });
        Assert.Contains("An RxNorm code is a number of up to 10 digits", rx, StringComparison.Ordinal);
        // A visit of another patient (or tenant) is not accepted.
        var visit = await chart.PostAsync("note", "Note", new() { ["Note.Text"] = "With a foreign visit", ["Note.EncounterId"] = elsewhere.Encounter });
        Assert.Contains("Choose one of this patient&#x27;s visits, or none.", visit, StringComparison.Ordinal);
        var status = await chart.PostAsync("condition", "Condition", new() { ["Condition.Text"] = "Gout", ["Condition.Status"] = "<b>cured</b>" });
        Assert.Contains("Choose the condition&#x27;s status from the list.", status, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>cured</b>", status, StringComparison.Ordinal);

        Assert.Empty(await clinic.SearchAsync("DocumentReference"));
        Assert.Empty(await clinic.SearchAsync("MedicationRequest"));
        Assert.Empty(await clinic.SearchAsync("Condition"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientList_SearchesByNameBirthDateAndIdentifier_AndPagesByPost(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        var elsewhere = await ClinicAsync(app);
        await CreateAsync(elsewhere.Store, elsewhere.Tenant, """{"resourceType":"Patient","name":[{"family":"Foreign","given":["Fiona"]}]}""");
        for (var i = 0; i < 22; i++)
            await CreateAsync(clinic.Store, clinic.Tenant, $$"""{"resourceType":"Patient","name":[{"family":"Zed{{i:D2}}","given":["Zoe"]}]}""");
        using var ada = await clinic.SignInAsync("ada");

        using var byName = await ada.SubmitAsync("/patients", "find-patients", new Dictionary<string, string> { ["Search.Name"] = "able" });
        var html = await byName.Content.ReadAsStringAsync();
        Assert.Equal("/patients", byName.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Empty(byName.RequestMessage.RequestUri.Query);
        Assert.Contains("Alice Able", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Bob Baker", html, StringComparison.Ordinal);

        using var byBirth = await ada.SubmitAsync("/patients", "find-patients", new Dictionary<string, string> { ["Search.BirthDate"] = "1975-01-02" });
        html = await byBirth.Content.ReadAsStringAsync();
        Assert.Contains("Bob Baker", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Alice Able", html, StringComparison.Ordinal);
        using var byIdentifier = await ada.SubmitAsync("/patients", "find-patients", new Dictionary<string, string> { ["Search.Identifier"] = "MRN-1001" });
        Assert.Contains("Alice Able", await byIdentifier.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var badDate = await ada.SubmitAsync("/patients", "find-patients", new Dictionary<string, string> { ["Search.BirthDate"] = "30/04/1980" });
        Assert.Contains("Enter the birth date as year-month-day", await badDate.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badDate.StatusCode);

        // Paging: 20 of the 22 Zoes, then the rest with the next-page button of the same search; no other tenant's patient.
        using var zoes = await ada.SubmitAsync("/patients", "find-patients", new Dictionary<string, string> { ["Search.Name"] = "zed" });
        var first = await zoes.Content.ReadAsStringAsync();
        Assert.Equal(20, Regex.Count(first, "Open the chart of Zoe Zed"));
        var cursor = WebUtility.HtmlDecode(Regex.Match(first, "name=\"Search.Cursor\" value=\"([^\"]+)\"").Groups[1].Value);
        using var next = await ada.Http.PostAsync(new Uri("/patients", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "find-patients", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(first, "find-patients"),
            ["Search.Name"] = "zed", ["Search.Page"] = "1", ["Search.Cursor"] = cursor,
        }));
        var second = await next.Content.ReadAsStringAsync();
        Assert.Equal(2, Regex.Count(second, "Open the chart of Zoe Zed"));
        Assert.Contains("page 2", second, StringComparison.Ordinal);
        Assert.Contains("Zoe Zed21", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Fiona", first + second, StringComparison.Ordinal);
    }
}
