using Carevault.Portal.CheckIns;
using Carevault.Portal.Records;

namespace Carevault.Portal.Clinical;

/// <summary>A patient as the doctor's list shows them.</summary>
public sealed record PatientSummary(string Id, string Name, string? BirthDate, string? Gender, string? Identifier);

/// <summary>What a doctor searches the tenant's patients by; empty values are not criteria.</summary>
public sealed record PatientSearch(string? Name, string? BirthDate, string? Identifier);

/// <summary>One page of patients; <see cref="Next"/> continues the search (a store cursor, posted back, never in a URL).</summary>
public sealed record PatientPage(IReadOnlyList<PatientSummary> Patients, string? Next);

/// <summary>One entry of a chart: what it is, who wrote it, and the version a change must name (If-Match).</summary>
public sealed record ChartEntry
{
    public required string Id { get; init; }
    public required long Version { get; init; }
    public required string Title { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? When { get; init; }

    /// <summary>The author's name as stored with the entry; null when the entry names none.</summary>
    public string? Author { get; init; }

    /// <summary>The signed-in doctor wrote it: they may change it.</summary>
    public bool Mine { get; init; }

    /// <summary>A note's text, a prescription's dosage; shown as text (encoded), never as markup.</summary>
    public string? Body { get; init; }

    /// <summary>A prescription's RxNorm code, an allergy's criticality.</summary>
    public string? Code { get; init; }
}

/// <summary>An active check-in alert on the chart.</summary>
public sealed record ChartAlert(string Reason, DateTimeOffset? When);

/// <summary>A patient's chart as a doctor sees it: every list newest first.</summary>
public sealed record PatientChart
{
    public required PatientSummary Patient { get; init; }
    public IReadOnlyList<ChartAlert> Alerts { get; init; } = [];
    public IReadOnlyList<ChartEntry> Notes { get; init; } = [];
    public IReadOnlyList<ChartEntry> Conditions { get; init; } = [];
    public IReadOnlyList<ChartEntry> Allergies { get; init; } = [];
    public IReadOnlyList<ChartEntry> Encounters { get; init; } = [];
    public IReadOnlyList<ChartEntry> Medications { get; init; } = [];
    public IReadOnlyList<LabResult> LabResults { get; init; } = [];
    public IReadOnlyList<CheckInResult> CheckIns { get; init; } = [];
}

/// <summary>A prescription as its patient sees it on My medications.</summary>
public sealed record MedicationView(string Medication, string? RxNorm, string? Dosage, string Status, DateTimeOffset? Prescribed, string? Prescriber)
{
    public bool Active => Status is "active" or "on-hold" or "draft";
}

/// <summary>The outcome of a chart write; <see cref="Problem"/> is safe to show at the form's <see cref="Field"/>.</summary>
public sealed record ClinicalResult(bool Ok, string? Problem = null, int Status = 200, string? Field = null)
{
    public static readonly ClinicalResult Done = new(true);
    public static ClinicalResult Refused(string problem, int status, string? field = null) => new(false, problem, status, field);
}

/// <summary>The kinds of entry a doctor writes and may later change.</summary>
public enum EntryKind { Note, Condition, Allergy }

/// <summary>A new encounter note; <see cref="EncounterId"/> ties it to one of the patient's visits.</summary>
public sealed record NoteInput(string Text, string? EncounterId);

/// <summary>A new problem-list Condition; <see cref="ClinicalStatus"/> is an R4 condition-clinical code.</summary>
public sealed record ConditionInput(string Text, string ClinicalStatus);

/// <summary>A new AllergyIntolerance; <see cref="Criticality"/> is low, high, unable-to-assess or empty.</summary>
public sealed record AllergyInput(string Text, string? Criticality);

/// <summary>A new MedicationRequest.</summary>
public sealed record PrescriptionInput
{
    public required string Medication { get; init; }
    public string? RxNorm { get; init; }
    public required string Dosage { get; init; }
    public string? EncounterId { get; init; }
}

/// <summary>A change to an entry the doctor wrote, at the version they read.</summary>
public sealed record EntryEdit
{
    public required EntryKind Kind { get; init; }
    public required string Id { get; init; }
    public required long Version { get; init; }
    public required string Text { get; init; }

    /// <summary>A Condition's or AllergyIntolerance's clinical status; unused for notes.</summary>
    public string? Status { get; init; }
}
