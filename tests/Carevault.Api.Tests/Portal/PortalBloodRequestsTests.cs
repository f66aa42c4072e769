using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Portal.BloodRequests;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// Emergency blood requests (issue 8 item 6): staff broadcast a CommunicationRequest, compatible donors of the same
/// tenant get an email, every dashboard of the tenant shows it, donors answer with a Communication, staff close it.
/// </summary>
public sealed class PortalBloodRequestsTests
{
    const string Password = PortalTestData.Password;

    internal sealed record Clinic(CarevaultApp App, string Tenant, string OrganizationId, Dictionary<string, string> Patients, Dictionary<string, string> Users)
    {
        public ResourceStore Store => App.Services.GetRequiredService<ResourceStore>();

        public Task<List<JsonElement>> SearchAsync(string type, params (string Name, string Value)[] criteria) =>
            PortalTestData.SearchAsync(App, Tenant, type, criteria);

        public Task<PortalBrowser> SignInAsync(string username) => PortalTestData.SignInAsync(App, Tenant, username);

        public CallerContext Caller(string username, string role) =>
            new(Tenant, Users[username], "user", ScopeSet.Empty, role, Patients.TryGetValue(username, out var patient) ? "Patient/" + patient : null);

        public async Task<List<(string Recipient, string Kind, string Subject, string? UserId)>> MailAsync()
        {
            await using var connection = await App.Services.GetRequiredService<Db>().OpenAsync(default);
            return (await connection.QueryAsync<(string, string, string, string?)>(
                "SELECT recipient, kind, subject, user_id FROM outbox_messages WHERE tenant_id = @tenant AND kind = 'blood-request' ORDER BY recipient",
                new { tenant = Tenant })).ToList();
        }
    }

    static Task<string> CreateAsync(ResourceStore store, string tenant, string json) => PortalTestData.CreateAsync(store, tenant, json);

    static string GroupObservation(string patientId, string snomed, string when = "2029-01-01T00:00:00Z") => $$$"""
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"882-1"}]},
         "subject":{"reference":"Patient/{{{patientId}}}"},"effectiveDateTime":"{{{when}}}",
         "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"{{{snomed}}}"}]}}
        """;

    /// <summary>
    /// A hospital with a staff member, a doctor, and patients: olu (O negative), abe (AB positive), ama (A positive, recorded
    /// earlier as B positive), nia (no group), and ben (O negative, no email).
    /// </summary>
    internal static async Task<Clinic> ClinicAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var users = app.Services.GetRequiredService<UserStore>();
        var organization = await CreateAsync(store, tenant, """{"resourceType":"Organization","name":"St Mary's Hospital"}""");
        var patients = new Dictionary<string, string>();
        var accounts = new Dictionary<string, string>();
        foreach (var (name, full) in new[] { ("olu", "Olu Okoro"), ("abe", "Abe Abbott"), ("ama", "Ama Mensah"), ("nia", "Nia Nolan"), ("ben", "Ben Bell") })
        {
            patients[name] = await CreateAsync(store, tenant, $$"""{"resourceType":"Patient","name":[{"text":"{{full}}"}]}""");
            var email = name == "ben" ? null : name + "@example.org";
            accounts[name] = (await users.CreateAsync(tenant, name, Password, Roles.Patient, email, "Patient/" + patients[name], default))!.Id;
        }
        await CreateAsync(store, tenant, GroupObservation(patients["olu"], "278148006"));
        await CreateAsync(store, tenant, GroupObservation(patients["abe"], "278151004"));
        await CreateAsync(store, tenant, GroupObservation(patients["ama"], "278150003", "2028-01-01T00:00:00Z"));
        await CreateAsync(store, tenant, GroupObservation(patients["ama"], "278149003", "2029-06-01T00:00:00Z"));
        await CreateAsync(store, tenant, GroupObservation(patients["ben"], "278148006"));
        accounts["staff"] = (await users.CreateAsync(tenant, "staff", Password, Roles.Staff, "staff@example.org", default))!.Id;
        var practitioner = await CreateAsync(store, tenant, """{"resourceType":"Practitioner","name":[{"family":"Okafor"}]}""");
        accounts["doctor"] = (await users.CreateAsync(tenant, "doctor", Password, Roles.Doctor, "doctor@example.org", "Practitioner/" + practitioner, default))!.Id;
        return new Clinic(app, tenant, organization, patients, accounts);
    }

    internal static Dictionary<string, string> Request(string group = "A+", string units = "3", string organizationId = "", string site = "", string urgency = "stat") => new()
    {
        ["Broadcast.Group"] = group, ["Broadcast.Units"] = units, ["Broadcast.OrganizationId"] = organizationId, ["Broadcast.Site"] = site, ["Broadcast.Urgency"] = urgency,
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task StaffBroadcast_StoresACommunicationRequest_EmailsCompatibleDonorsOfTheTenantOnly_AndDashboardsShowIt(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        var elsewhere = await ClinicAsync(app);
        using var staff = await clinic.SignInAsync("staff");
        var reader = app.Services.GetRequiredService<AuditReader>();
        var before = await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default);

        using var sent = await staff.SubmitAsync("/blood-requests", "broadcast", Request(organizationId: clinic.OrganizationId));

        var html = await sent.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Contains("The blood request is sent.", html, StringComparison.Ordinal);
        var request = Assert.Single(await clinic.SearchAsync("CommunicationRequest"));
        var requestId = request.GetProperty("id").GetString()!;
        Assert.Equal("active", request.GetProperty("status").GetString());
        Assert.Equal("stat", request.GetProperty("priority").GetString());
        Assert.Equal(BloodRequestDesk.CategorySystem, request.GetProperty("category")[0].GetProperty("coding")[0].GetProperty("system").GetString());
        Assert.Equal("blood-request", request.GetProperty("category")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("278149003", request.GetProperty("reasonCode")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal(3, request.GetProperty("extension")[0].GetProperty("valueInteger").GetInt32());
        Assert.Equal("Organization/" + clinic.OrganizationId, request.GetProperty("sender").GetProperty("reference").GetString());
        Assert.Equal("3 units of A positive blood needed at St Mary's Hospital (emergency).", request.GetProperty("payload")[0].GetProperty("contentString").GetString());
        // Olu (O−) and Ama (latest A+) can give to A+; Abe (AB+) cannot, Nia has no group, Ben has no email; nobody of the other tenant.
        Assert.Equal(
            [("ama@example.org", "blood-request", "Blood donors needed", (string?)clinic.Users["ama"]), ("olu@example.org", "blood-request", "Blood donors needed", clinic.Users["olu"])],
            await clinic.MailAsync());
        Assert.Empty(await elsewhere.MailAsync());
        // One record for the post, committed with the write.
        var added = (await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default)).Where(r => before.All(b => b.Seq != r.Seq)).ToList();
        Assert.Contains(added, r => r.Record.Action == "create" && r.Record.Entities.Contains("CommunicationRequest/" + requestId));

        // Every signed-in person of the tenant sees it on their dashboard; the other tenant's people do not.
        using var abe = await clinic.SignInAsync("abe");
        using var doctor = await clinic.SignInAsync("doctor");
        using var foreign = await elsewhere.SignInAsync("olu");
        using var foreignStaff = await elsewhere.SignInAsync("staff");
        Assert.Contains("3 units of A positive blood needed at St Mary&#x27;s Hospital (emergency)", (await abe.GetAsync("/my-record")).Html, StringComparison.Ordinal);
        Assert.Contains("3 units of A positive blood needed", (await doctor.GetAsync("/today")).Html, StringComparison.Ordinal);
        Assert.Contains("3 units of A positive blood needed", (await staff.GetAsync("/staff")).Html, StringComparison.Ordinal);
        foreach (var (browser, path) in new[] { (foreign, "/my-record"), (foreign, "/blood-requests"), (foreignStaff, "/staff"), (foreignStaff, "/blood-requests") })
        {
            var (status, page) = await browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("A positive blood needed", page, StringComparison.Ordinal);
            Assert.Contains("No open blood requests.", page, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Close_WithdrawsTheDonorEmailsNotYetSent(DatabaseProvider provider)
    {
        // The sender polls once at start and then not for an hour: the request's emails wait in the outbox.
        await using var app = await CarevaultApp.StartAsync(provider, new Dictionary<string, string?> { ["Email:Outbox:PollIntervalSeconds"] = "3600" });
        var clinic = await ClinicAsync(app);
        using var staff = await clinic.SignInAsync("staff");
        (await staff.SubmitAsync("/blood-requests", "broadcast", Request(group: "O-", site: "Ward 4"))).Dispose();
        var requestId = Assert.Single(await clinic.SearchAsync("CommunicationRequest")).GetProperty("id").GetString()!;
        Assert.NotEmpty(await clinic.MailAsync());

        using var closed = await staff.SubmitAsync("/blood-requests", "close", new Dictionary<string, string> { ["Answer.RequestId"] = requestId });

        Assert.Contains("The request is closed", await closed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await clinic.MailAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Broadcast_WithBadInputOrWithoutToken_StoresNothing_AndSaysWhy(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var staff = await clinic.SignInAsync("staff");

        using var bad = await staff.SubmitAsync("/blood-requests", "broadcast", Request(group: "<b>X</b>", units: "0", urgency: "whenever"));
        using var foreignOrganization = await staff.SubmitAsync("/blood-requests", "broadcast", Request(organizationId: "not-ours"));
        using var noToken = await staff.SubmitAsync("/blood-requests", "broadcast", Request(site: "Ward 4"), withToken: false);

        var html = await bad.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("id=\"group-error\">Choose the blood group needed.", html, StringComparison.Ordinal);
        Assert.Contains("id=\"units-error\">Enter a whole number from 1 to 50.", html, StringComparison.Ordinal);
        Assert.Contains("id=\"urgency-error\">Choose the urgency.", html, StringComparison.Ordinal);
        Assert.Contains("id=\"site-error\">Choose the hospital, or type the site.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>X</b>", html, StringComparison.Ordinal);
        Assert.Contains("Choose one of the listed hospitals", await foreignOrganization.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.Empty(await clinic.SearchAsync("CommunicationRequest"));
        Assert.Empty(await clinic.MailAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task DonorAnswers_StaffSeeTheAnswer_AndCloseTheRequest_WhichLeavesEveryDashboard(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var staff = await clinic.SignInAsync("staff");
        (await staff.SubmitAsync("/blood-requests", "broadcast", Request(group: "O-", units: "2", site: "Ward <script>alert(1)</script>", urgency: "urgent"))).Dispose();
        var requestId = Assert.Single(await clinic.SearchAsync("CommunicationRequest")).GetProperty("id").GetString()!;
        using var olu = await clinic.SignInAsync("olu");
        using var abe = await clinic.SignInAsync("abe");

        var (_, page) = await olu.GetAsync("/blood-requests");
        Assert.Contains("2 units of O negative blood needed at Ward &lt;script&gt;alert(1)&lt;/script&gt; (urgent)", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", page, StringComparison.Ordinal);
        Assert.Contains(">I can donate</button>", page, StringComparison.Ordinal);
        Assert.Contains("Your blood group (AB positive) cannot be given for this request.", (await abe.GetAsync("/blood-requests")).Html, StringComparison.Ordinal);

        var answer = new Dictionary<string, string> { ["Answer.RequestId"] = requestId };
        using var answered = await olu.SubmitAsync("/blood-requests", "donate", answer);
        using var again = await olu.SubmitAsync("/blood-requests", "donate", answer);
        using var refused = await abe.SubmitAsync("/blood-requests", "donate", answer);

        Assert.Contains("Thank you. The team knows you can donate", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("You said you can donate.", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("AB positive blood cannot be given to someone who needs O negative", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var communication = Assert.Single(await clinic.SearchAsync("Communication", ("based-on", "CommunicationRequest/" + requestId)));
        Assert.Equal("completed", communication.GetProperty("status").GetString());
        Assert.Equal("Patient/" + clinic.Patients["olu"], communication.GetProperty("sender").GetProperty("reference").GetString());
        Assert.Equal("278148006", communication.GetProperty("reasonCode")[0].GetProperty("coding")[0].GetProperty("code").GetString());

        var (_, desk) = await staff.GetAsync("/blood-requests");
        Assert.Contains("1 donor can donate:", desk, StringComparison.Ordinal);
        Assert.Contains("Olu Okoro (O negative)", desk, StringComparison.Ordinal);

        using var closed = await staff.SubmitAsync("/blood-requests", "close", answer);
        Assert.Contains("The request is closed", await closed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("completed", JsonDocument.Parse((await clinic.Store.ReadAsync(clinic.Tenant, "CommunicationRequest", requestId, default)).Value!.Body).RootElement.GetProperty("status").GetString());
        Assert.Contains("No open blood requests.", (await olu.GetAsync("/my-record")).Html, StringComparison.Ordinal);
        using var late = await olu.SubmitAsync("/blood-requests", "donate", answer);
        Assert.Contains("That blood request is closed or was not found.", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task OnlyStaffBroadcastAndClose_AndNobodyReachesAnotherTenantsRequest(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        var elsewhere = await ClinicAsync(app);
        var desk = app.Services.GetRequiredService<BloodRequestDesk>();
        var request = new NewBloodRequest { Group = BloodGroups.ByKey("O+")!, Units = 1, Urgency = Urgency.ByCode("urgent")!, Site = "Ward 1" };

        var byPatient = await desk.BroadcastAsync(clinic.Caller("olu", Roles.Patient), request, null, default);
        var opened = await desk.BroadcastAsync(clinic.Caller("doctor", Roles.Doctor), request, null, default);
        var closedByPatient = await desk.CloseAsync(clinic.Caller("olu", Roles.Patient), opened.Id!, null, default);
        var closedByOtherTenant = await desk.CloseAsync(elsewhere.Caller("staff", Roles.Staff), opened.Id!, null, default);
        var answeredFromOtherTenant = await desk.RespondAsync(elsewhere.Caller("olu", Roles.Patient), opened.Id!, null, default);
        var answeredAsStaff = await desk.RespondAsync(clinic.Caller("staff", Roles.Staff), opened.Id!, null, default);

        Assert.Equal((false, 403), (byPatient.Ok, byPatient.Status));
        Assert.True(opened.Ok);
        Assert.Equal((false, 403), (closedByPatient.Ok, closedByPatient.Status));
        Assert.Equal((false, 404), (closedByOtherTenant.Ok, closedByOtherTenant.Status));
        Assert.Equal((false, 404), (answeredFromOtherTenant.Ok, answeredFromOtherTenant.Status));
        Assert.Equal((false, 403), (answeredAsStaff.Ok, answeredAsStaff.Status));
        Assert.Single(await clinic.SearchAsync("CommunicationRequest", ("status", "active")));
        Assert.Empty(await clinic.SearchAsync("Communication"));
        Assert.Empty(await elsewhere.SearchAsync("Communication"));
        Assert.Empty(await desk.ResponsesAsync(clinic.Caller("olu", Roles.Patient), opened.Id!, default));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientRecordsTheirBloodGroup_AsALoinc882ObservationOnTheirOwnPatient(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await ClinicAsync(app);
        using var nia = await clinic.SignInAsync("nia");
        Assert.Contains("You have not recorded your blood group.", (await nia.GetAsync("/blood-requests")).Html, StringComparison.Ordinal);

        using var missing = await nia.SubmitAsync("/blood-requests", "blood-group", new Dictionary<string, string> { ["Donor.Group"] = "Z" });
        using var saved = await nia.SubmitAsync("/blood-requests", "blood-group", new Dictionary<string, string> { ["Donor.Group"] = "B-" });

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("id=\"my-group-error\">Choose your blood group.", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var html = await saved.Content.ReadAsStringAsync();
        Assert.Contains("Your blood group is saved.", html, StringComparison.Ordinal);
        Assert.Contains("Your recorded blood group: B negative.", html, StringComparison.Ordinal);
        var observation = Assert.Single(await clinic.SearchAsync("Observation", ("subject", "Patient/" + clinic.Patients["nia"])));
        Assert.Equal("final", observation.GetProperty("status").GetString());
        Assert.Equal("882-1", observation.GetProperty("code").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("http://loinc.org", observation.GetProperty("code").GetProperty("coding")[0].GetProperty("system").GetString());
        Assert.Equal("278153001", observation.GetProperty("valueCodeableConcept").GetProperty("coding")[0].GetProperty("code").GetString());
        // Staff cannot record a group for anyone (no linked Patient, and not a patient).
        var desk = app.Services.GetRequiredService<BloodRequestDesk>();
        Assert.Equal(403, (await desk.RecordBloodGroupAsync(clinic.Caller("staff", Roles.Staff), BloodGroups.All[0], null, default)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Register_CreatesTheAccountsOwnPatient_AndLinksIt(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        var tenants = app.Services.GetRequiredService<TenantStore>();
        await tenants.CreateAsync(tenant, "Hospital", default);
        await tenants.SetPatientRegistrationAsync(tenant, true, default);
        using var browser = PortalBrowser.Open(app);
        var form = new Dictionary<string, string>
        {
            ["Input.Tenant"] = tenant, ["Input.Username"] = "new.donor", ["Input.Email"] = "donor@example.org", ["Input.Password"] = Password, ["Input.Confirm"] = Password,
        };

        using var registered = await browser.SubmitAsync("/register", "register", form);
        using var taken = await browser.SubmitAsync("/register", "register", form);

        Assert.Equal(HttpStatusCode.Found, registered.StatusCode);
        Assert.Contains("This username is taken", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var users = await app.Services.GetRequiredService<UserStore>().ListAsync(tenant, 10, default);
        var user = Assert.Single(users);
        Assert.StartsWith("Patient/", user.FhirUser, StringComparison.Ordinal);
        var patient = JsonDocument.Parse((await app.Services.GetRequiredService<ResourceStore>().ReadAsync(tenant, "Patient", user.FhirUser![8..], default)).Value!.Body).RootElement;
        Assert.Equal(user.Id, patient.GetProperty("identifier")[0].GetProperty("value").GetString());
        // The taken username rolled its Patient back: one Patient only.
        var parser = app.Services.GetRequiredService<SearchQueryParser>();
        Assert.Single((await app.Services.GetRequiredService<ResourceStore>().SearchAsync(tenant, parser.Parse("Patient", [], strict: true).Value!, default)).Resources);
        // Linked at once: the new donor can record a blood group.
        (await browser.SignInAsync(tenant, "new.donor", Password)).Dispose();
        using var saved = await browser.SubmitAsync("/blood-requests", "blood-group", new Dictionary<string, string> { ["Donor.Group"] = "O+" });
        Assert.Contains("Your blood group is saved.", await saved.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
