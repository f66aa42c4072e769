using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Outbox;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Portal.Appointments;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// Timed email (migration 0014): a message with a due time is not sent before it and is sent once due; booking queues
/// the appointment reminder for 24 h ahead (withdrawn when cancelled); the patient's notifications list what was sent.
/// </summary>
public sealed class TimedRemindersTests
{
    const string Password = "a long enough passphrase";
    static readonly DateTimeOffset Now = new(2030, 3, 4, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Polling off (one round at start-up): the test drives each round with the clock it holds.</summary>
    static Dictionary<string, string?> Settings() => new() { ["PublicUrl"] = "https://carevault.example", ["Email:Outbox:PollIntervalSeconds"] = "3600" };

    sealed record Row(string Id, string Kind, string Subject, long? SentAt, long NotBefore, string? UserId, string? Topic);

    static async Task<List<Row>> RowsAsync(CarevaultApp app, string tenant)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default);
        return (await connection.QueryAsync<Row>("""
            SELECT id AS Id, kind AS Kind, subject AS Subject, sent_at AS SentAt, not_before AS NotBefore, user_id AS UserId, topic AS Topic
            FROM outbox_messages WHERE tenant_id = @tenant ORDER BY created_at, kind
            """, new { tenant })).ToList();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SendDue_SkipsAMessageUntilItsDueTime_ThenSendsItOnce(DatabaseProvider provider)
    {
        var clock = new TestClock(Now);
        await using var app = await CarevaultApp.StartAsync(provider, Settings(), clock);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var sender = app.Services.GetRequiredService<OutboxSender>();
        var outbox = app.Services.GetRequiredService<EmailOutbox>();
        var (later, now) = await app.Services.GetRequiredService<Db>().WriteAsync(async (_, transaction, ct) =>
        {
            var later = await outbox.EnqueueAsync(transaction, new OutgoingEmail
            {
                TenantId = tenant, Kind = "test", Recipient = "ada@example.org", Subject = "Later", Body = "b", NotBefore = Now.AddHours(2),
            }, ct);
            var now = await outbox.EnqueueAsync(transaction, new OutgoingEmail { TenantId = tenant, Kind = "test", Recipient = "ada@example.org", Subject = "Now", Body = "b" }, ct);
            return ((later, now), true);
        }, default);

        await sender.SendDueAsync(default);
        var first = await RowsAsync(app, tenant);
        clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        await sender.SendDueAsync(default);
        var justBefore = await RowsAsync(app, tenant);
        clock.Advance(TimeSpan.FromSeconds(1));
        await sender.SendDueAsync(default);
        var due = await RowsAsync(app, tenant);
        clock.Advance(TimeSpan.FromHours(1));
        await sender.SendDueAsync(default);

        Assert.NotNull(first.Single(r => r.Id == now).SentAt);
        Assert.Null(first.Single(r => r.Id == later).SentAt);
        Assert.Equal(Now.AddHours(2).ToUnixTimeMilliseconds(), first.Single(r => r.Id == later).NotBefore);
        Assert.Null(justBefore.Single(r => r.Id == later).SentAt);
        Assert.Equal(Now.AddHours(2).ToUnixTimeMilliseconds(), due.Single(r => r.Id == later).SentAt);
        // Sent once: a later round does not send it again.
        Assert.Equal(Now.AddHours(2).ToUnixTimeMilliseconds(), (await RowsAsync(app, tenant)).Single(r => r.Id == later).SentAt);
        var files = Directory.GetFiles(app.Services.GetRequiredService<EmailOptions>().FileDirectory, "*.eml");
        Assert.Single(files, f => f.Contains(later, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Booking_QueuesAReminderForADayAhead_CancellingWithdrawsIt_AndThePatientSeesTheirNotifications(DatabaseProvider provider)
    {
        var clock = new TestClock(Now);
        await using var app = await CarevaultApp.StartAsync(provider, Settings(), clock);
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var users = app.Services.GetRequiredService<UserStore>();
        async Task<string> CreateAsync(string json) =>
            (await store.CreateAsync(tenant, JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()!, Encoding.UTF8.GetBytes(json), default)).Value!.Id;
        var practitioner = await CreateAsync("""{"resourceType":"Practitioner","name":[{"family":"Okafor","given":["Ada"]}]}""");
        var schedule = await CreateAsync($$"""{"resourceType":"Schedule","actor":[{"reference":"Practitioner/{{practitioner}}","display":"Dr Ada Okafor"}]}""");
        var slots = new List<string>();
        foreach (var start in new[] { "2030-03-06T09:00:00Z", "2030-03-04T15:00:00Z" })
            slots.Add(await CreateAsync($$"""{"resourceType":"Slot","schedule":{"reference":"Schedule/{{schedule}}"},"status":"free","start":"{{start}}","end":"{{start[..14]}}15:00Z"}"""));
        var alice = await CreateAsync("""{"resourceType":"Patient","name":[{"text":"Alice Able"}]}""");
        var bob = await CreateAsync("""{"resourceType":"Patient","name":[{"text":"Bob Baker"}]}""");
        var aliceUser = (await users.CreateAsync(tenant, "alice", Password, Roles.Patient, "alice@example.org", "Patient/" + alice, default))!;
        await users.CreateAsync(tenant, "bob", Password, Roles.Patient, "bob@example.org", "Patient/" + bob, default);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "alice", Password)).Dispose();

        // In two days: a confirmation now and a reminder due 24 h before. This afternoon: the confirmation only.
        (await browser.SubmitAsync("/appointments", "book", new Dictionary<string, string> { ["Booking.SlotId"] = slots[0] })).Dispose();
        (await browser.SubmitAsync("/appointments", "book", new Dictionary<string, string> { ["Booking.SlotId"] = slots[1] })).Dispose();

        var rows = await RowsAsync(app, tenant);
        var reminder = Assert.Single(rows, r => r.Kind == AppointmentBook.TimedReminderKind);
        Assert.Equal(new DateTimeOffset(2030, 3, 5, 9, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), reminder.NotBefore);
        Assert.Equal(aliceUser.Id, reminder.UserId);
        Assert.Equal("Reminder: your Carevault appointment tomorrow", reminder.Subject);
        Assert.Equal(2, rows.Count(r => r.Kind == "appointment-reminder" && r.NotBefore == 0 && r.UserId == aliceUser.Id));

        // The notifications page lists both confirmations and the scheduled reminder; Bob's lists none of them.
        var (status, page) = await browser.GetAsync("/notifications");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Scheduled for 5 Mar 2030, 09:00", page, StringComparison.Ordinal);
        Assert.Equal(2, page.Split("Appointment booked").Length - 1);
        using var bobBrowser = PortalBrowser.Open(app);
        (await bobBrowser.SignInAsync(tenant, "bob", Password)).Dispose();
        var (_, bobsPage) = await bobBrowser.GetAsync("/notifications");
        Assert.Contains("No notifications yet.", bobsPage, StringComparison.Ordinal);
        Assert.DoesNotContain("Scheduled for", bobsPage, StringComparison.Ordinal);

        // Cancelling the appointment in two days withdraws its unsent reminder; the confirmations stay.
        var appointment = reminder.Topic!["Appointment/".Length..];
        (await browser.SubmitAsync("/appointments", "cancel", new Dictionary<string, string> { ["Cancel.AppointmentId"] = appointment })).Dispose();
        var after = await RowsAsync(app, tenant);
        Assert.DoesNotContain(after, r => r.Kind == AppointmentBook.TimedReminderKind);
        Assert.Equal(2, after.Count(r => r.Kind == "appointment-reminder"));
    }
}
