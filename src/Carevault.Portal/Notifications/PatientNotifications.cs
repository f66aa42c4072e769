using Carevault.Identity.Outbox;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Portal.Appointments;
using Carevault.Portal.BloodRequests;

namespace Carevault.Portal.Notifications;

/// <summary>
/// What was sent to a patient (issue 8 item 2), read-only: the outbox messages queued for their own account (the
/// outbox's <c>user_id</c>) of the kinds a patient gets — appointment confirmations and reminders, blood requests —
/// with subject and times only: bodies are sealed and emptied once sent.
/// </summary>
public sealed class PatientNotifications(EmailOutbox outbox)
{
    public const int MaxListed = 100;

    public static readonly IReadOnlyList<string> Kinds = ["appointment-reminder", AppointmentBook.TimedReminderKind, BloodRequestDesk.Kind];

    public async Task<IReadOnlyList<SentNotification>> ListAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Kind: "user", Role: Roles.Patient }) return [];
        return await outbox.ForUserAsync(caller.TenantId, caller.Subject, Kinds.ToList(), MaxListed, ct);
    }

    public static string KindName(string kind) => kind switch
    {
        "appointment-reminder" => "Appointment booked",
        AppointmentBook.TimedReminderKind => "Appointment reminder",
        BloodRequestDesk.Kind => "Blood request",
        _ => "Message",
    };
}
