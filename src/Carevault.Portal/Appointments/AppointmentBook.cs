using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Identity.Outbox;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.Appointments;

/// <summary>A bookable time as a patient sees it: when, and with whom.</summary>
public sealed record FreeSlot(string SlotId, DateTimeOffset Start, DateTimeOffset End, string Doctor);

/// <summary>A booked (or past) appointment as its patient or doctor sees it.</summary>
public sealed record AppointmentView(string AppointmentId, DateTimeOffset Start, DateTimeOffset End, string Status, string With, string? PatientId);

/// <summary>The outcome of a booking workflow step; <see cref="Problem"/> is a message safe to show at the form.</summary>
public sealed record BookingResult(bool Ok, string? Problem = null, int Status = 200)
{
    public static readonly BookingResult Done = new(true);
    public static BookingResult Refused(string problem, int status = 409) => new(false, problem, status);
}

/// <summary>What a doctor asks for when publishing availability: consecutive slots from a start time (UTC).</summary>
public sealed record Availability(DateTimeOffset Start, int Count, int Minutes);

/// <summary>
/// Appointments as FHIR (issue 8 item 4): a doctor's availability is a <c>Schedule</c> (actor: their Practitioner) with
/// <c>Slot</c>s; booking turns a free Slot busy and creates an <c>Appointment</c> in one store transaction whose
/// Slot write names the version the booking read (If-Match), so of two bookings of one slot exactly one commits
/// (decision 0018); the confirmation email, a reminder due 24 h ahead (withdrawn on cancellation) and the audit record are
/// written in that same transaction.
/// Who may do what is decided here, from the session's <c>fhirUser</c>: a patient books and cancels only for their own
/// Patient; a doctor publishes and updates only their own Schedule's Slots and Appointments.
/// </summary>
public sealed class AppointmentBook(ResourceStore store, SearchQueryParser parser, UserStore users, EmailOutbox outbox, TimeProvider clock)
{
    public const int MaxSlotsPerPublish = 24;

    /// <summary>The outbox kind of the reminder sent <see cref="ReminderLead"/> before an appointment.</summary>
    public const string TimedReminderKind = "appointment-reminder-due";

    /// <summary>How long before an appointment its reminder is due.</summary>
    public static readonly TimeSpan ReminderLead = TimeSpan.FromHours(24);
    const int MaxListed = 200;

    /// <summary>The statuses a doctor may set on a booked appointment (FHIR R4 appointmentstatus).</summary>
    public static readonly IReadOnlyList<string> DoctorStatuses = ["arrived", "fulfilled", "noshow", "cancelled"];

    // ---- Doctor -------------------------------------------------------------------------------------------------

    /// <summary>Creates the doctor's Schedule when they have none, and the Slots, all in one transaction.</summary>
    public async Task<BookingResult> PublishAsync(CallerContext caller, Availability availability, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Doctor, PractitionerId: { } practitionerId })
            return BookingResult.Refused("Your account is not linked to a practitioner record, so you cannot publish times yet.", 403);
        if (availability.Count is < 1 or > MaxSlotsPerPublish || availability.Minutes is < 5 or > 240)
            return BookingResult.Refused("Choose between 1 and 24 slots of 5 to 240 minutes.", 400);
        if (availability.Start <= clock.GetUtcNow()) return BookingResult.Refused("Choose a start time in the future.", 400);
        var doctor = await NameAsync(caller.TenantId, "Practitioner", practitionerId, "Dr ", ct) ?? "Your doctor";
        var writes = new List<TransactionWrite>();
        var schedule = (await SearchAsync(caller.TenantId, "Schedule", [new("actor", "Practitioner/" + practitionerId)], 1, ct)).FirstOrDefault();
        var scheduleId = schedule?.Id ?? store.NewId();
        if (schedule is null)
        {
            writes.Add(new TransactionWrite("POST", "Schedule", scheduleId, Json(new JsonObject
            {
                ["resourceType"] = "Schedule",
                ["active"] = true,
                ["actor"] = new JsonArray(new JsonObject { ["reference"] = "Practitioner/" + practitionerId, ["display"] = doctor }),
            }), null));
        }
        for (var i = 0; i < availability.Count; i++)
        {
            var start = availability.Start.AddMinutes(i * availability.Minutes);
            writes.Add(new TransactionWrite("POST", "Slot", store.NewId(), Json(new JsonObject
            {
                ["resourceType"] = "Slot",
                ["schedule"] = new JsonObject { ["reference"] = "Schedule/" + scheduleId },
                ["status"] = "free",
                ["start"] = Instant(start),
                ["end"] = Instant(start.AddMinutes(availability.Minutes)),
                ["comment"] = doctor,
            }), null));
        }
        var written = await store.TransactionAsync(caller.TenantId, writes, ct, audit);
        return written.IsSuccess ? BookingResult.Done : throw new InvalidOperationException("Publishing slots failed: " + written.Error!.Message);
    }

    /// <summary>The doctor's appointments starting on <paramref name="day"/> (UTC), by start time.</summary>
    public async Task<IReadOnlyList<AppointmentView>> DayAsync(CallerContext caller, DateOnly day, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Doctor, PractitionerId: { } practitionerId }) return [];
        var found = await SearchAsync(caller.TenantId, "Appointment",
            [new("practitioner", "Practitioner/" + practitionerId), new("date", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))], MaxListed, ct);
        var views = new List<AppointmentView>();
        foreach (var resource in found)
        {
            using var document = JsonDocument.Parse(resource.Body);
            var patient = Participant(document.RootElement, "Patient/");
            views.Add(View(resource.Id, document.RootElement, patient?.Display ?? "A patient", patient?.Reference[8..]));
        }
        return views.OrderBy(v => v.Start).ToList();
    }

    /// <summary>Sets arrived, fulfilled, noshow or cancelled on one of the doctor's appointments; cancelling frees its slot.</summary>
    public async Task<BookingResult> SetStatusAsync(CallerContext caller, string appointmentId, string status, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Doctor, PractitionerId: { } practitionerId }) return BookingResult.Refused("Only a linked doctor can change appointments.", 403);
        if (!DoctorStatuses.Contains(status)) return BookingResult.Refused("Choose arrived, fulfilled, no-show or cancelled.", 400);
        var read = await store.ReadAsync(caller.TenantId, "Appointment", appointmentId, ct);
        if (read.Value is not { } appointment) return BookingResult.Refused("That appointment was not found.", 404);
        var body = JsonNode.Parse(appointment.Body)!.AsObject();
        if (Participant(body, "Practitioner/")?.Reference != "Practitioner/" + practitionerId) return BookingResult.Refused("That appointment was not found.", 404);
        var current = (string?)body["status"];
        if (current is not ("booked" or "arrived")) return BookingResult.Refused($"This appointment is already {current}: it can no longer change.");
        return await ChangeAsync(caller.TenantId, appointment, body, status, audit, ct);
    }

    // ---- Patient ------------------------------------------------------------------------------------------------

    /// <summary>Free slots from now on, soonest first (the tenant's doctors; no patient data).</summary>
    public async Task<IReadOnlyList<FreeSlot>> FreeSlotsAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: not null }) return [];
        var now = clock.GetUtcNow();
        var found = await SearchAsync(caller.TenantId, "Slot", [new("status", "free"), new("start", "ge" + Instant(now))], MaxListed, ct);
        var slots = new List<FreeSlot>();
        foreach (var resource in found)
        {
            using var document = JsonDocument.Parse(resource.Body);
            var root = document.RootElement;
            if (Time(root, "start") is { } start && Time(root, "end") is { } end && start > now)
                slots.Add(new FreeSlot(resource.Id, start, end, Text(root, "comment") ?? "A doctor"));
        }
        return slots.OrderBy(s => s.Start).ToList();
    }

    /// <summary>The patient's own appointments, soonest first.</summary>
    public async Task<IReadOnlyList<AppointmentView>> MineAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId }) return [];
        var found = await SearchAsync(caller.TenantId, "Appointment", [new("patient", "Patient/" + patientId)], MaxListed, ct);
        var views = new List<AppointmentView>();
        foreach (var resource in found)
        {
            using var document = JsonDocument.Parse(resource.Body);
            views.Add(View(resource.Id, document.RootElement, Participant(document.RootElement, "Practitioner/")?.Display ?? "A doctor", patientId));
        }
        return views.OrderBy(v => v.Start).ToList();
    }

    /// <summary>
    /// Books a free slot for the caller's own Patient: the Slot (at the version read here) becomes busy and the
    /// Appointment is created in one transaction, with the reminder queued and the audit record enlisted in it.
    /// </summary>
    public async Task<BookingResult> BookAsync(CallerContext caller, string slotId, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId })
            return BookingResult.Refused("Your account is not connected to your health record yet, so you cannot book.", 403);
        var taken = BookingResult.Refused("That time is no longer available: someone else has just booked it. Please choose another time.");
        var read = await store.ReadAsync(caller.TenantId, "Slot", slotId, ct);
        if (read.Value is not { } slot) return taken;
        var body = JsonNode.Parse(slot.Body)!.AsObject();
        if ((string?)body["status"] != "free" || Time(body, "start") is not { } start || Time(body, "end") is not { } end || start <= clock.GetUtcNow()) return taken;
        var scheduleReference = (string?)body["schedule"]?["reference"];
        var practitioner = scheduleReference is { Length: > 9 } && scheduleReference.StartsWith("Schedule/", StringComparison.Ordinal)
            ? await ScheduleActorAsync(caller.TenantId, scheduleReference[9..], ct)
            : null;
        if (practitioner is null) return taken;
        body["status"] = "busy";
        var appointmentId = store.NewId();
        var appointment = new JsonObject
        {
            ["resourceType"] = "Appointment",
            ["status"] = "booked",
            ["start"] = Instant(start),
            ["end"] = Instant(end),
            ["slot"] = new JsonArray(new JsonObject { ["reference"] = "Slot/" + slotId }),
            ["created"] = clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["participant"] = new JsonArray(
                new JsonObject { ["actor"] = new JsonObject { ["reference"] = "Patient/" + patientId, ["display"] = await NameAsync(caller.TenantId, "Patient", patientId, "", ct) ?? "A patient" }, ["status"] = "accepted" },
                new JsonObject { ["actor"] = new JsonObject { ["reference"] = practitioner.Value.Reference, ["display"] = practitioner.Value.Display }, ["status"] = "accepted" }),
        };
        var email = (await users.FindAsync(caller.TenantId, caller.Subject, ct))?.Email;
        var result = await store.TransactionAsync(caller.TenantId,
        [
            // If-Match: the version read above. Another booking that committed first changed it, so this one fails whole.
            new TransactionWrite("PUT", "Slot", slotId, Json(body), slot.VersionId),
            new TransactionWrite("POST", "Appointment", appointmentId, Json(appointment), null),
        ], ct, async (connection, transaction, written, token) =>
        {
            if (!string.IsNullOrEmpty(email))
            {
                var when = start.ToString("dddd d MMMM yyyy, HH:mm", CultureInfo.InvariantCulture);
                await outbox.EnqueueAsync(transaction, new OutgoingEmail
                {
                    TenantId = caller.TenantId,
                    Kind = "appointment-reminder",
                    Recipient = email,
                    Subject = "Your Carevault appointment",
                    Body = $"Your appointment with {practitioner.Value.Display} is booked for {when} UTC.\n"
                        + "To cancel it, sign in to Carevault and open Appointments.",
                    UserId = caller.Subject,
                    Topic = "Appointment/" + appointmentId,
                }, token);
                // The timed reminder, due a day ahead; none when the appointment is sooner than that (the confirmation is enough).
                var due = start - ReminderLead;
                if (due > clock.GetUtcNow())
                {
                    await outbox.EnqueueAsync(transaction, new OutgoingEmail
                    {
                        TenantId = caller.TenantId,
                        Kind = TimedReminderKind,
                        Recipient = email,
                        Subject = "Reminder: your Carevault appointment tomorrow",
                        Body = $"A reminder: your appointment with {practitioner.Value.Display} is on {when} UTC.\n"
                            + "If you cannot come, sign in to Carevault and cancel it in Appointments, so someone else can have the time.",
                        NotBefore = due,
                        UserId = caller.Subject,
                        Topic = "Appointment/" + appointmentId,
                    }, token);
                }
            }
            return audit is null ? null : await audit(connection, transaction, written, token);
        });
        if (result.Error is { Kind: RecordErrorKind.PreconditionFailed }) return taken;
        return result.IsSuccess ? BookingResult.Done : throw new InvalidOperationException("Booking failed: " + result.Error!.Message);
    }

    /// <summary>Cancels one of the patient's own booked appointments; its slot is free again.</summary>
    public async Task<BookingResult> CancelAsync(CallerContext caller, string appointmentId, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId }) return BookingResult.Refused("That appointment was not found.", 404);
        var read = await store.ReadAsync(caller.TenantId, "Appointment", appointmentId, ct);
        if (read.Value is not { } appointment) return BookingResult.Refused("That appointment was not found.", 404);
        var body = JsonNode.Parse(appointment.Body)!.AsObject();
        // Another patient's appointment is "not found", exactly like one that does not exist.
        if (Participant(body, "Patient/")?.Reference != "Patient/" + patientId) return BookingResult.Refused("That appointment was not found.", 404);
        if ((string?)body["status"] != "booked") return BookingResult.Refused("Only a booked appointment can be cancelled.");
        return await ChangeAsync(caller.TenantId, appointment, body, "cancelled", audit, ct);
    }

    /// <summary>Writes the appointment's new status; a cancellation frees its slot in the same transaction.</summary>
    async Task<BookingResult> ChangeAsync(string tenantId, StoredResource appointment, JsonObject body, string status, BeforeCommit? audit, CancellationToken ct)
    {
        body["status"] = status;
        var writes = new List<TransactionWrite> { new("PUT", "Appointment", appointment.Id, Json(body), appointment.VersionId) };
        if (status == "cancelled" && (string?)body["slot"]?[0]?["reference"] is { Length: > 5 } slotReference && slotReference.StartsWith("Slot/", StringComparison.Ordinal))
        {
            var slot = await store.ReadAsync(tenantId, "Slot", slotReference[5..], ct);
            if (slot.Value is { } current)
            {
                var slotBody = JsonNode.Parse(current.Body)!.AsObject();
                slotBody["status"] = "free";
                writes.Add(new TransactionWrite("PUT", "Slot", current.Id, Json(slotBody), current.VersionId));
            }
        }
        var result = await store.TransactionAsync(tenantId, writes, ct, async (connection, transaction, written, token) =>
        {
            // A cancelled appointment's reminder, not yet sent, is withdrawn with the cancellation.
            if (status == "cancelled") await EmailOutbox.WithdrawAsync(transaction, tenantId, TimedReminderKind, "Appointment/" + appointment.Id, token);
            return audit is null ? null : await audit(connection, transaction, written, token);
        });
        if (result.Error is { Kind: RecordErrorKind.PreconditionFailed }) return BookingResult.Refused("The appointment changed while you were looking at it. Please check it and try again.");
        return result.IsSuccess ? BookingResult.Done : throw new InvalidOperationException("Changing the appointment failed: " + result.Error!.Message);
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    async Task<List<StoredResource>> SearchAsync(string tenantId, string type, KeyValuePair<string, string>[] criteria, int limit, CancellationToken ct)
    {
        var parameters = new List<KeyValuePair<string, string>>(criteria) { new("_count", Math.Min(limit, SearchQueryParser.MaxCount).ToString(CultureInfo.InvariantCulture)) };
        var parsed = parser.Parse(type, parameters, strict: true);
        if (parsed.Error is { } error) throw new InvalidOperationException($"The portal's {type} search is not valid: {error.Message}");
        var page = await store.SearchAsync(tenantId, parsed.Value!, ct);
        return page.Resources.ToList();
    }

    /// <summary>A person's name from their Patient or Practitioner resource, or null.</summary>
    async Task<string?> NameAsync(string tenantId, string type, string id, string title, CancellationToken ct)
    {
        var read = await store.ReadAsync(tenantId, type, id, ct);
        if (read.Value is { } person)
        {
            using var document = JsonDocument.Parse(person.Body);
            if (document.RootElement.TryGetProperty("name", out var names) && names.ValueKind == JsonValueKind.Array && names.GetArrayLength() > 0)
            {
                var name = names[0];
                if (Text(name, "text") is { } text) return text;
                var given = name.TryGetProperty("given", out var g) && g.ValueKind == JsonValueKind.Array && g.GetArrayLength() > 0 ? g[0].GetString() : null;
                if (Text(name, "family") is { } family) return title + (given is null ? family : given + " " + family);
            }
        }
        return null;
    }

    async Task<(string Reference, string Display)?> ScheduleActorAsync(string tenantId, string scheduleId, CancellationToken ct)
    {
        var read = await store.ReadAsync(tenantId, "Schedule", scheduleId, ct);
        if (read.Value is not { } schedule) return null;
        using var document = JsonDocument.Parse(schedule.Body);
        if (Participant(document.RootElement, "Practitioner/", "actor") is not { } actor) return null;
        return (actor.Reference, actor.Display ?? "Your doctor");
    }

    /// <summary>The first participant (or Schedule actor) whose reference starts with <paramref name="prefix"/>.</summary>
    static (string Reference, string? Display)? Participant(JsonElement resource, string prefix, string property = "participant")
    {
        if (!resource.TryGetProperty(property, out var list) || list.ValueKind != JsonValueKind.Array) return null;
        foreach (var item in list.EnumerateArray())
        {
            var actor = property == "participant" ? (item.TryGetProperty("actor", out var a) ? a : default) : item;
            if (Text(actor, "reference") is { } reference && reference.StartsWith(prefix, StringComparison.Ordinal)) return (reference, Text(actor, "display"));
        }
        return null;
    }

    static (string Reference, string? Display)? Participant(JsonObject resource, string prefix)
    {
        using var document = JsonDocument.Parse(resource.ToJsonString());
        return Participant(document.RootElement, prefix);
    }

    static AppointmentView View(string id, JsonElement root, string with, string? patientId) =>
        new(id, Time(root, "start") ?? DateTimeOffset.MinValue, Time(root, "end") ?? DateTimeOffset.MinValue, Text(root, "status") ?? "unknown", with, patientId);
}
