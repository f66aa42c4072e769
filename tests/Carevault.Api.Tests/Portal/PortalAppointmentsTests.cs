using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// Appointments (issue 8 item 4): a doctor publishes Slots, patients book and cancel through the portal, all stored as
/// FHIR; two bookings of one slot at the same instant end with exactly one Appointment.
/// </summary>
public sealed class PortalAppointmentsTests
{
    const string Password = PortalTestData.Password;

    /// <summary>08:00 UTC on a fixed day: the doctor publishes for the next day.</summary>
    static readonly DateTimeOffset Now = new(2030, 3, 4, 8, 0, 0, TimeSpan.Zero);

    sealed record Clinic(CarevaultApp App, string Tenant, string PractitionerId, string PatientA, string PatientB)
    {
        public ResourceStore Store => App.Services.GetRequiredService<ResourceStore>();

        public Task<List<JsonElement>> SearchAsync(string type, params (string Name, string Value)[] criteria) =>
            PortalTestData.SearchAsync(App, Tenant, type, criteria);

        public Task<PortalBrowser> SignInAsync(string username) => PortalTestData.SignInAsync(App, Tenant, username);
    }

    static Task<string> CreateAsync(ResourceStore store, string tenant, string json) => PortalTestData.CreateAsync(store, tenant, json);

    static async Task<Clinic> ClinicAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var users = app.Services.GetRequiredService<UserStore>();
        var practitioner = await CreateAsync(store, tenant, """{"resourceType":"Practitioner","name":[{"family":"Okafor","given":["Ada"]}]}""");
        var a = await CreateAsync(store, tenant, """{"resourceType":"Patient","name":[{"text":"Alice Able"}]}""");
        var b = await CreateAsync(store, tenant, """{"resourceType":"Patient","name":[{"text":"Bob Baker"}]}""");
        await users.CreateAsync(tenant, "doctor", Password, Roles.Doctor, "doctor@example.org", "Practitioner/" + practitioner, default);
        await users.CreateAsync(tenant, "alice", Password, Roles.Patient, "alice@example.org", "Patient/" + a, default);
        await users.CreateAsync(tenant, "bob", Password, Roles.Patient, "bob@example.org", "Patient/" + b, default);
        return new Clinic(app, tenant, practitioner, a, b);
    }

    static async Task<string> PublishAsync(Clinic clinic, int count)
    {
        using var doctor = await clinic.SignInAsync("doctor");
        using var response = await doctor.SubmitAsync("/today", "publish", new Dictionary<string, string>
        {
            ["Publish.Date"] = "2030-03-05", ["Publish.Start"] = "09:00", ["Publish.Count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Publish.Minutes"] = "15",
        });
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("now open for booking", html, StringComparison.Ordinal);
        var slots = await clinic.SearchAsync("Slot", ("status", "free"));
        Assert.Equal(count, slots.Count);
        return slots.OrderBy(s => s.GetProperty("start").GetString(), StringComparer.Ordinal).First().GetProperty("id").GetString()!;
    }

    static Task<HttpResponseMessage> BookAsync(PortalBrowser patient, string slotId) =>
        patient.SubmitAsync("/appointments", "book", new Dictionary<string, string> { ["Booking.SlotId"] = slotId });

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientBooksAndCancels_AllStoredAsFhir_WithAReminderAndOneAuditRecordEach(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, clock: new TestClock(Now));
        var clinic = await ClinicAsync(app);
        var slotId = await PublishAsync(clinic, 2);
        var schedule = Assert.Single(await clinic.SearchAsync("Schedule", ("actor", "Practitioner/" + clinic.PractitionerId)));
        Assert.Equal("Dr Ada Okafor", schedule.GetProperty("actor")[0].GetProperty("display").GetString());
        using var alice = await clinic.SignInAsync("alice");

        var (_, page) = await alice.GetAsync("/appointments");
        Assert.Contains("Tue 5 Mar 2030, 09:00 to 09:15 with Dr Ada Okafor", page, StringComparison.Ordinal);
        Assert.Contains("You have no appointments.", page, StringComparison.Ordinal);
        var reader = app.Services.GetRequiredService<AuditReader>();
        var before = await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default);

        using var booked = await BookAsync(alice, slotId);

        var html = await booked.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, booked.StatusCode);
        Assert.Contains("Booked. A reminder is on its way", html, StringComparison.Ordinal);
        Assert.Equal("busy", (await clinic.Store.ReadAsync(clinic.Tenant, "Slot", slotId, default)).Value!.Body is var body ? JsonDocument.Parse(body).RootElement.GetProperty("status").GetString() : null);
        var appointment = Assert.Single(await clinic.SearchAsync("Appointment", ("patient", "Patient/" + clinic.PatientA)));
        var appointmentId = appointment.GetProperty("id").GetString()!;
        Assert.Equal("booked", appointment.GetProperty("status").GetString());
        Assert.Equal("Slot/" + slotId, appointment.GetProperty("slot")[0].GetProperty("reference").GetString());
        Assert.Equal("2030-03-05T09:00:00Z", appointment.GetProperty("start").GetString());
        Assert.Contains(appointment.GetProperty("participant").EnumerateArray(), p => p.GetProperty("actor").GetProperty("reference").GetString() == "Practitioner/" + clinic.PractitionerId);
        // The reminder is queued for Alice, with nothing clinical in its clear-text subject.
        await using (var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default))
        {
            var mail = (await connection.QueryAsync<(string Recipient, string Subject)>(
                "SELECT recipient, subject FROM outbox_messages WHERE tenant_id = @tenant AND kind = 'appointment-reminder'", new { tenant = clinic.Tenant })).ToList();
            Assert.Equal([("alice@example.org", "Your Carevault appointment")], mail);
        }
        // One record for the booking post, committed with the write, naming the patient and what was written.
        var added = (await reader.SearchAsync(clinic.Tenant, new AuditFilter(), 1000, default)).Where(r => before.All(b => b.Seq != r.Seq)).ToList();
        // SubmitAsync loads the page (a search) and posts the form: one record each.
        Assert.Equal(["search", "update"], added.OrderBy(r => r.Seq).Select(r => r.Record.Action).ToList());
        var record = added.Single(r => r.Record.Action == "update").Record;
        Assert.Equal(AuditOutcomes.Success, record.Outcome);
        Assert.Contains("Patient/" + clinic.PatientA, record.Entities);
        Assert.Contains("Slot/" + slotId, record.Entities);
        Assert.Contains("Appointment/" + appointmentId, record.Entities);

        // A second submit of the same booking (double click) books nothing more.
        using var again = await BookAsync(alice, slotId);
        Assert.Contains("That time is no longer available", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await clinic.SearchAsync("Appointment", ("slot", "Slot/" + slotId)));

        using var cancelled = await alice.SubmitAsync("/appointments", "cancel", new Dictionary<string, string> { ["Cancel.AppointmentId"] = appointmentId });

        Assert.Contains("Your appointment is cancelled.", await cancelled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("cancelled", JsonDocument.Parse((await clinic.Store.ReadAsync(clinic.Tenant, "Appointment", appointmentId, default)).Value!.Body).RootElement.GetProperty("status").GetString());
        Assert.Equal("free", JsonDocument.Parse((await clinic.Store.ReadAsync(clinic.Tenant, "Slot", slotId, default)).Value!.Body).RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TwoPatientsBookingOneSlotAtOnce_ExactlyOneIsBooked_TheOtherSeesAnInlineError(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, clock: new TestClock(Now));
        var clinic = await ClinicAsync(app);
        var slotId = await PublishAsync(clinic, 1);
        using var alice = await clinic.SignInAsync("alice");
        using var bob = await clinic.SignInAsync("bob");
        // Both load the page (and its form token) first, then post at the same instant.
        var forms = new List<(PortalBrowser Browser, FormUrlEncodedContent Form)>();
        foreach (var browser in new[] { alice, bob })
        {
            var (_, html) = await browser.GetAsync("/appointments");
            forms.Add((browser, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "book", ["__RequestVerificationToken"] = PortalBrowser.TokenOf(html, "book"), ["Booking.SlotId"] = slotId,
            })));
        }
        using var start = new ManualResetEventSlim();
        var posts = forms.Select(f => Task.Run(async () =>
        {
            start.Wait();
            using var response = await f.Browser.Http.PostAsync(new Uri("/appointments", UriKind.Relative), f.Form);
            return (response.StatusCode, Html: await response.Content.ReadAsStringAsync());
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(posts);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(results, r => r.Html.Contains("Booked. A reminder is on its way", StringComparison.Ordinal));
        var loser = Assert.Single(results, r => r.Html.Contains("That time is no longer available", StringComparison.Ordinal));
        Assert.Contains("id=\"slot-error\"", loser.Html, StringComparison.Ordinal);
        var appointment = Assert.Single(await clinic.SearchAsync("Appointment", ("slot", "Slot/" + slotId)));
        Assert.Equal("booked", appointment.GetProperty("status").GetString());
        Assert.Equal("busy", JsonDocument.Parse((await clinic.Store.ReadAsync(clinic.Tenant, "Slot", slotId, default)).Value!.Body).RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task DoctorSeesTodaysSchedule_AndUpdatesStatus_CancellingFreesTheSlot(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, clock: new TestClock(Now));
        var clinic = await ClinicAsync(app);
        var store = clinic.Store;
        var schedule = await CreateAsync(store, clinic.Tenant, $$"""{"resourceType":"Schedule","actor":[{"reference":"Practitioner/{{clinic.PractitionerId}}"}]}""");
        var slot = await CreateAsync(store, clinic.Tenant, $$"""{"resourceType":"Slot","schedule":{"reference":"Schedule/{{schedule}}"},"status":"busy","start":"2030-03-04T10:00:00Z","end":"2030-03-04T10:15:00Z"}""");
        var appointment = await CreateAsync(store, clinic.Tenant, $$"""
            {"resourceType":"Appointment","status":"booked","start":"2030-03-04T10:00:00Z","end":"2030-03-04T10:15:00Z","slot":[{"reference":"Slot/{{slot}}"}],
             "participant":[{"actor":{"reference":"Patient/{{clinic.PatientA}}","display":"Alice Able"},"status":"accepted"},
                            {"actor":{"reference":"Practitioner/{{clinic.PractitionerId}}"},"status":"accepted"}]}
            """);
        using var doctor = await clinic.SignInAsync("doctor");

        var (_, today) = await doctor.GetAsync("/today");
        Assert.Contains("10:00–10:15", today, StringComparison.Ordinal);
        Assert.Contains("Alice Able", today, StringComparison.Ordinal);

        using var arrived = await doctor.SubmitAsync("/today", "appointment-status", new Dictionary<string, string> { ["Status.Action"] = "arrived:" + appointment });
        Assert.Contains("The appointment is now arrived.", await arrived.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var cancelled = await doctor.SubmitAsync("/today", "appointment-status", new Dictionary<string, string> { ["Status.Action"] = "cancelled:" + appointment });
        Assert.Contains("The appointment is now cancelled.", await cancelled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("free", JsonDocument.Parse((await store.ReadAsync(clinic.Tenant, "Slot", slot, default)).Value!.Body).RootElement.GetProperty("status").GetString());
        // Every version is kept: booked → arrived → cancelled.
        Assert.Equal(3, (await store.ReadAsync(clinic.Tenant, "Appointment", appointment, default)).Value!.VersionId);
        using var late = await doctor.SubmitAsync("/today", "appointment-status", new Dictionary<string, string> { ["Status.Action"] = "fulfilled:" + appointment });
        Assert.Contains("already cancelled", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task NobodyCancelsAnothersAppointment_OrBooksAnotherTenantsSlot(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, clock: new TestClock(Now));
        var clinic = await ClinicAsync(app);
        var elsewhere = await ClinicAsync(app);
        var slotId = await PublishAsync(clinic, 2);
        var foreignSlot = await PublishAsync(elsewhere, 1);
        using var alice = await clinic.SignInAsync("alice");
        using var bob = await clinic.SignInAsync("bob");
        (await BookAsync(alice, slotId)).Dispose();
        var appointmentId = Assert.Single(await clinic.SearchAsync("Appointment", ("patient", "Patient/" + clinic.PatientA))).GetProperty("id").GetString()!;

        // Bob posts Alice's appointment id (a forged form value) to his own cancel form.
        using var cancel = await bob.SubmitAsync("/appointments", "cancel", new Dictionary<string, string> { ["Cancel.AppointmentId"] = appointmentId });
        Assert.Contains("That appointment was not found.", await cancel.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("booked", JsonDocument.Parse((await clinic.Store.ReadAsync(clinic.Tenant, "Appointment", appointmentId, default)).Value!.Body).RootElement.GetProperty("status").GetString());

        using var foreign = await BookAsync(bob, foreignSlot);
        Assert.Contains("That time is no longer available", await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("free", JsonDocument.Parse((await elsewhere.Store.ReadAsync(elsewhere.Tenant, "Slot", foreignSlot, default)).Value!.Body).RootElement.GetProperty("status").GetString());
        Assert.Empty(await elsewhere.SearchAsync("Appointment", ("slot", "Slot/" + foreignSlot)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Publish_WithBadInput_ShowsInlineMessages_AndStoresNothing(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, clock: new TestClock(Now));
        var clinic = await ClinicAsync(app);
        using var doctor = await clinic.SignInAsync("doctor");

        using var response = await doctor.SubmitAsync("/today", "publish", new Dictionary<string, string>
        {
            ["Publish.Date"] = "<i>5</i>", ["Publish.Start"] = "25:99", ["Publish.Count"] = "99", ["Publish.Minutes"] = "15",
        });

        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Enter the date as year-month-day", html, StringComparison.Ordinal);
        Assert.Contains("Enter the time as hours and minutes", html, StringComparison.Ordinal);
        Assert.Contains("Enter a whole number from 1 to 24.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>5</i>", html, StringComparison.Ordinal);
        Assert.Empty(await clinic.SearchAsync("Slot"));
    }
}
