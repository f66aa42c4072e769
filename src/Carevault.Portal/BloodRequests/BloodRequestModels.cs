namespace Carevault.Portal.BloodRequests;

/// <summary>What staff ask for: a blood group, how many units, where (the tenant's Organization or a free-text site), how urgently.</summary>
public sealed record NewBloodRequest
{
    public required BloodGroup Group { get; init; }
    public required int Units { get; init; }
    public required Urgency Urgency { get; init; }

    /// <summary>One of the tenant's Organizations (<see cref="BloodRequestDesk.SitesAsync"/>), or null for <see cref="Site"/>.</summary>
    public string? OrganizationId { get; init; }

    public string? Site { get; init; }
}

/// <summary>A FHIR request-priority code and how the portal names it.</summary>
public sealed record Urgency(string Code, string Display)
{
    // FHIR R4 ValueSet request-priority: routine | urgent | asap | stat.
    public static readonly IReadOnlyList<Urgency> All = [new("stat", "Emergency"), new("asap", "As soon as possible"), new("urgent", "Urgent"), new("routine", "Routine")];

    public static Urgency? ByCode(string? code) => All.FirstOrDefault(u => string.Equals(u.Code, code, StringComparison.Ordinal));
}

/// <summary>An open (or just closed) blood request as the dashboards show it. No patient data.</summary>
public sealed record BloodRequestView(string Id, BloodGroup Group, int Units, string Site, Urgency Urgency, DateTimeOffset Opened, bool Open)
{
    /// <summary>One line for lists, emails and live notices.</summary>
    public string Summary => $"{Units} unit{(Units == 1 ? "" : "s")} of {Group.Display} blood needed at {Site} ({Urgency.Display.ToLowerInvariant()})";
}

/// <summary>A donor's "I can donate", as staff see it.</summary>
public sealed record DonorResponse(string Donor, BloodGroup? Group, DateTimeOffset When);

/// <summary>The outcome of a blood-request step; <see cref="Problem"/> is a message safe to show at the form.</summary>
public sealed record DeskResult(bool Ok, string? Problem = null, int Status = 200, string? Id = null)
{
    public static DeskResult Done(string? id = null) => new(true, Id: id);
    public static DeskResult Refused(string problem, int status) => new(false, problem, status);
}
