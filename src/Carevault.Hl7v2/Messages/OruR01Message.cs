namespace Carevault.Hl7v2.Messages;

/// <summary>ORU^R01 (unsolicited observation result) as ingestion needs it.</summary>
public sealed record OruR01Message
{
    /// <summary>MSH.</summary>
    public required Hl7MessageHeader Header { get; init; }

    /// <summary>One entry per PID (an ORU may report on several patients); a message without PID has one entry with no patient.</summary>
    public required IReadOnlyList<OruPatientResult> PatientResults { get; init; }

    /// <summary>Conditions found while reading (invalid dates, empty ED data, …).</summary>
    public required IReadOnlyList<Hl7Warning> Warnings { get; init; }

    /// <summary>The first patient, for the common one-patient message.</summary>
    public Hl7Patient? Patient => PatientResults.Count > 0 ? PatientResults[0].Patient : null;

    /// <summary>All orders of all patients.</summary>
    public IEnumerable<Hl7Order> Orders => PatientResults.SelectMany(p => p.Orders);
}

/// <summary>The PATIENT_RESULT group: a patient, the visit and the orders reported for them.</summary>
public sealed record OruPatientResult
{
    /// <summary>PID, when present.</summary>
    public Hl7Patient? Patient { get; init; }

    /// <summary>PV1, when present.</summary>
    public Hl7Visit? Visit { get; init; }

    /// <summary>NTE after PID, before any OBR.</summary>
    public required IReadOnlyList<Hl7Note> Notes { get; init; }

    /// <summary>OBR groups.</summary>
    public required IReadOnlyList<Hl7Order> Orders { get; init; }
}

/// <summary>ADT^A01/A04/A08 (admit, register, update).</summary>
public sealed record AdtMessage
{
    /// <summary>MSH.</summary>
    public required Hl7MessageHeader Header { get; init; }

    /// <summary>EVN-1 event type code, else MSH-9.2.</summary>
    public required string EventType { get; init; }

    /// <summary>EVN-2 recorded date/time.</summary>
    public Types.Hl7DateTime? RecordedDateTime { get; init; }

    /// <summary>PID.</summary>
    public required Hl7Patient Patient { get; init; }

    /// <summary>PV1.</summary>
    public required Hl7Visit Visit { get; init; }

    /// <summary>Conditions found while reading.</summary>
    public required IReadOnlyList<Hl7Warning> Warnings { get; init; }
}
