using Carevault.Hl7v2.Types;

namespace Carevault.Hl7v2.Messages;

/// <summary>MSH: who sent what, when.</summary>
public sealed record Hl7MessageHeader
{
    /// <summary>MSH-3.</summary>
    public Hl7HierarchicDesignator? SendingApplication { get; init; }

    /// <summary>MSH-4.</summary>
    public Hl7HierarchicDesignator? SendingFacility { get; init; }

    /// <summary>MSH-5.</summary>
    public Hl7HierarchicDesignator? ReceivingApplication { get; init; }

    /// <summary>MSH-6.</summary>
    public Hl7HierarchicDesignator? ReceivingFacility { get; init; }

    /// <summary>MSH-7.</summary>
    public Hl7DateTime? DateTime { get; init; }

    /// <summary>MSH-9.1 (e.g. "ORU").</summary>
    public required string MessageCode { get; init; }

    /// <summary>MSH-9.2 (e.g. "R01").</summary>
    public required string TriggerEvent { get; init; }

    /// <summary>MSH-10.</summary>
    public required string ControlId { get; init; }

    /// <summary>MSH-11.</summary>
    public required string ProcessingId { get; init; }

    /// <summary>MSH-12.</summary>
    public required string Version { get; init; }
}

/// <summary>PID: the patient the message is about.</summary>
public sealed record Hl7Patient
{
    /// <summary>PID-3 repetitions (PID-2, the pre-2.5 external id, first when present).</summary>
    public required IReadOnlyList<Hl7Identifier> Identifiers { get; init; }

    /// <summary>PID-5 repetitions.</summary>
    public required IReadOnlyList<Hl7PersonName> Names { get; init; }

    /// <summary>PID-7, with the precision given (usually a day).</summary>
    public Hl7DateTime? BirthDate { get; init; }

    /// <summary>PID-8 administrative sex (HL7 table 0001: F, M, O, U, A, N).</summary>
    public string? Sex { get; init; }
}

/// <summary>PV1: the encounter.</summary>
public sealed record Hl7Visit
{
    /// <summary>PV1-2 patient class (I inpatient, O outpatient, E emergency, …).</summary>
    public string? PatientClass { get; init; }

    /// <summary>PV1-3 assigned patient location.</summary>
    public Hl7Location? AssignedLocation { get; init; }

    /// <summary>PV1-7 attending doctor(s).</summary>
    public required IReadOnlyList<Hl7Practitioner> AttendingDoctors { get; init; }

    /// <summary>PV1-19 visit number.</summary>
    public Hl7Identifier? VisitNumber { get; init; }

    /// <summary>PV1-44 admit date/time.</summary>
    public Hl7DateTime? AdmitDateTime { get; init; }

    /// <summary>PV1-45 discharge date/time (first repetition).</summary>
    public Hl7DateTime? DischargeDateTime { get; init; }
}

/// <summary>NTE: a free-text note.</summary>
public sealed record Hl7Note
{
    /// <summary>NTE-2 source of comment (L lab, P placer, O other).</summary>
    public string? Source { get; init; }

    /// <summary>NTE-3, repetitions joined with line feeds, unescaped.</summary>
    public required string Text { get; init; }

    /// <summary>NTE-4 comment type.</summary>
    public Hl7CodedElement? CommentType { get; init; }
}

/// <summary>SN (structured numeric): "&lt;^10", "^1^:^128", "^2^-^4".</summary>
public sealed record Hl7StructuredNumeric
{
    /// <summary>SN.1 comparator ("&gt;", "&lt;", "&gt;=", "&lt;=", "=", "&lt;&gt;").</summary>
    public string? Comparator { get; init; }

    /// <summary>SN.2 first number.</summary>
    public decimal? Number1 { get; init; }

    /// <summary>SN.3 separator or suffix ("-", "+", "/", ".", ":").</summary>
    public string? SeparatorOrSuffix { get; init; }

    /// <summary>SN.4 second number.</summary>
    public decimal? Number2 { get; init; }
}

/// <summary>ED (encapsulated data), with the payload decoded when the encoding allows.</summary>
public sealed record Hl7EncapsulatedData
{
    /// <summary>ED.1 source application.</summary>
    public Hl7HierarchicDesignator? SourceApplication { get; init; }

    /// <summary>ED.2 type of data (e.g. "application", "TEXT", "AP").</summary>
    public string? TypeOfData { get; init; }

    /// <summary>ED.3 data subtype (e.g. "pdf", "html").</summary>
    public string? DataSubtype { get; init; }

    /// <summary>ED.4 encoding ("Base64", "A", "Hex").</summary>
    public string? Encoding { get; init; }

    /// <summary>The decoded ED.5 payload; empty when <see cref="Problem"/> is set.</summary>
    public ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>Why <see cref="Content"/> is empty: empty ED.5, invalid base64, or an unsupported encoding.</summary>
    public Hl7WarningCode? Problem { get; init; }

    /// <summary>"type/subtype" in lower case when both are given (e.g. "application/pdf", "text/html").</summary>
    public string? MediaType => TypeOfData is { Length: > 0 } t && DataSubtype is { Length: > 0 } s
        ? (t + "/" + s).ToLowerInvariant()
        : null;
}

/// <summary>One OBX-5 repetition, read according to OBX-2.</summary>
public sealed record Hl7ObservationValue
{
    /// <summary>The whole repetition, unescaped (components kept as written for composite types).</summary>
    public required string Text { get; init; }

    /// <summary>For NM (and SN without comparator), the number.</summary>
    public decimal? Number { get; init; }

    /// <summary>For CE/CWE/CNE.</summary>
    public Hl7CodedElement? Coded { get; init; }

    /// <summary>For SN.</summary>
    public Hl7StructuredNumeric? StructuredNumeric { get; init; }

    /// <summary>For DT/DTM/TS.</summary>
    public Hl7DateTime? DateTime { get; init; }

    /// <summary>For ED.</summary>
    public Hl7EncapsulatedData? Encapsulated { get; init; }
}

/// <summary>OBX: one observation (a result value, a document part).</summary>
public sealed record Hl7Observation
{
    /// <summary>OBX-1 set id.</summary>
    public string? SetId { get; init; }

    /// <summary>OBX-2 value type (NM, ST, TX, CE, CWE, SN, ED, …).</summary>
    public string? ValueType { get; init; }

    /// <summary>OBX-3 observation identifier (e.g. a LOINC code).</summary>
    public Hl7CodedElement? Identifier { get; init; }

    /// <summary>OBX-4 sub-id.</summary>
    public string? SubId { get; init; }

    /// <summary>OBX-5 repetitions.</summary>
    public required IReadOnlyList<Hl7ObservationValue> Values { get; init; }

    /// <summary>OBX-6 units (code + system, e.g. "mg/dL" in "UCUM").</summary>
    public Hl7CodedElement? Units { get; init; }

    /// <summary>OBX-7 reference range, as written.</summary>
    public string? ReferenceRange { get; init; }

    /// <summary>OBX-8 abnormal flags (repetitions; first component).</summary>
    public required IReadOnlyList<string> AbnormalFlags { get; init; }

    /// <summary>OBX-11 observation result status (F, P, C, …).</summary>
    public string? ResultStatus { get; init; }

    /// <summary>OBX-14 date/time of the observation.</summary>
    public Hl7DateTime? ObservationDateTime { get; init; }

    /// <summary>NTE segments that follow this OBX.</summary>
    public required IReadOnlyList<Hl7Note> Notes { get; init; }
}

/// <summary>OBR and what follows it: one order with its results.</summary>
public sealed record Hl7Order
{
    /// <summary>OBR-1 set id.</summary>
    public string? SetId { get; init; }

    /// <summary>OBR-2 placer order number.</summary>
    public Hl7EntityIdentifier? PlacerOrderNumber { get; init; }

    /// <summary>OBR-3 filler order number.</summary>
    public Hl7EntityIdentifier? FillerOrderNumber { get; init; }

    /// <summary>OBR-4 universal service identifier (code, text, system).</summary>
    public Hl7CodedElement? UniversalServiceId { get; init; }

    /// <summary>OBR-7 observation date/time.</summary>
    public Hl7DateTime? ObservationDateTime { get; init; }

    /// <summary>OBR-22 results reported / status changed date/time.</summary>
    public Hl7DateTime? ResultsReportedDateTime { get; init; }

    /// <summary>OBR-25 result status.</summary>
    public string? ResultStatus { get; init; }

    /// <summary>OBX segments under this OBR.</summary>
    public required IReadOnlyList<Hl7Observation> Observations { get; init; }

    /// <summary>NTE segments directly after the OBR.</summary>
    public required IReadOnlyList<Hl7Note> Notes { get; init; }
}
