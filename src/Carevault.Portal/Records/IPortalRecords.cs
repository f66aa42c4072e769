using Carevault.Identity.Tenants;

namespace Carevault.Portal.Records;

/// <summary>
/// Everything the portal's pages read from the FHIR store, and the one place they read it. Implementations go through
/// <c>ResourceStore</c> (never the tables) and decide access with <c>AccessPolicy</c>; pages never see a resource
/// outside what the caller may read. A patient's own Patient is the one their account is linked to (<c>users.fhir_user</c>,
/// carried by the session as the SMART <c>fhirUser</c> claim: <see cref="CallerContext.PatientId"/>).
/// </summary>
public interface IPortalRecords
{
    /// <summary>The signed-in patient's own record; <see cref="MyRecord.Linked"/> is false while no Patient is linked.</summary>
    Task<MyRecord> GetMyRecordAsync(CallerContext caller, CancellationToken ct);
}

/// <summary>A patient's view of their record: the lists a dashboard shows, newest first, already cut to a page.</summary>
public sealed record MyRecord
{
    public required bool Linked { get; init; }

    /// <summary>The Patient the lists were read from (for the audit record); null when not linked.</summary>
    public string? PatientId { get; init; }
    public IReadOnlyList<RecordEntry> Conditions { get; init; } = [];
    public IReadOnlyList<RecordEntry> Allergies { get; init; } = [];
    public IReadOnlyList<RecordEntry> Encounters { get; init; } = [];
    public IReadOnlyList<LabResult> LabResults { get; init; } = [];

    public static readonly MyRecord NotLinked = new() { Linked = false };
}

/// <summary>One line of a list: what it is, its state, and when.</summary>
public sealed record RecordEntry(string Title, string? Status, DateTimeOffset? When);

/// <summary>A lab value with its reference range and whether the lab (or the range) marks it abnormal.</summary>
public sealed record LabResult
{
    public required string Test { get; init; }
    public decimal? Value { get; init; }
    public string? ValueText { get; init; }
    public string? Unit { get; init; }
    public decimal? Low { get; init; }
    public decimal? High { get; init; }
    public DateTimeOffset? When { get; init; }
    public bool Abnormal { get; init; }
}
