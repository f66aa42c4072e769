using Carevault.Hl7v2.Types;

namespace Carevault.Hl7v2.Messages;

/// <summary>MDM^T02 (original document notification and content).</summary>
public sealed record MdmT02Message
{
    /// <summary>MSH.</summary>
    public required Hl7MessageHeader Header { get; init; }

    /// <summary>PID.</summary>
    public required Hl7Patient Patient { get; init; }

    /// <summary>PV1, when present.</summary>
    public Hl7Visit? Visit { get; init; }

    /// <summary>TXA.</summary>
    public required Hl7DocumentHeader Document { get; init; }

    /// <summary>OBX segments (document content and metadata), in order.</summary>
    public required IReadOnlyList<Hl7Observation> Observations { get; init; }

    /// <summary>The content parts: ED payloads decoded, TX/FT/ST text joined; see <see cref="Hl7DocumentContent.Problem"/>.</summary>
    public required IReadOnlyList<Hl7DocumentContent> Contents { get; init; }

    /// <summary>Conditions found while reading (e.g. <see cref="Hl7WarningCode.EmptyEncapsulatedData"/>).</summary>
    public required IReadOnlyList<Hl7Warning> Warnings { get; init; }
}

/// <summary>TXA: document metadata.</summary>
public sealed record Hl7DocumentHeader
{
    /// <summary>TXA-1 set id.</summary>
    public string? SetId { get; init; }

    /// <summary>TXA-2 document type (e.g. "DI" diagnostic imaging, "DS" discharge summary).</summary>
    public string? DocumentType { get; init; }

    /// <summary>TXA-3 document content presentation (e.g. "TX", "FT", "AP").</summary>
    public string? ContentPresentation { get; init; }

    /// <summary>TXA-4 activity date/time.</summary>
    public Hl7DateTime? ActivityDateTime { get; init; }

    /// <summary>TXA-5 primary activity provider(s).</summary>
    public required IReadOnlyList<Hl7Practitioner> PrimaryActivityProviders { get; init; }

    /// <summary>TXA-6 origination date/time.</summary>
    public Hl7DateTime? OriginationDateTime { get; init; }

    /// <summary>TXA-7 transcription date/time.</summary>
    public Hl7DateTime? TranscriptionDateTime { get; init; }

    /// <summary>TXA-12 unique document number.</summary>
    public Hl7EntityIdentifier? UniqueDocumentNumber { get; init; }

    /// <summary>TXA-13 parent document number.</summary>
    public Hl7EntityIdentifier? ParentDocumentNumber { get; init; }

    /// <summary>TXA-14 placer order number (first repetition).</summary>
    public Hl7EntityIdentifier? PlacerOrderNumber { get; init; }

    /// <summary>TXA-15 filler order number.</summary>
    public Hl7EntityIdentifier? FillerOrderNumber { get; init; }

    /// <summary>TXA-16 unique document file name.</summary>
    public string? UniqueDocumentFileName { get; init; }

    /// <summary>TXA-17 document completion status (DI dictated, AU authenticated, …).</summary>
    public string? CompletionStatus { get; init; }

    /// <summary>TXA-18 document confidentiality status.</summary>
    public string? ConfidentialityStatus { get; init; }

    /// <summary>TXA-19 document availability status.</summary>
    public string? AvailabilityStatus { get; init; }
}

/// <summary>One piece of document content from an OBX.</summary>
public sealed record Hl7DocumentContent
{
    /// <summary>0-based index into <see cref="MdmT02Message.Observations"/>.</summary>
    public required int ObservationIndex { get; init; }

    /// <summary>OBX-2 (ED, TX, FT, ST).</summary>
    public required string ValueType { get; init; }

    /// <summary>For ED, "type/subtype" (e.g. "application/pdf"); "text/plain" for text.</summary>
    public string? MediaType { get; init; }

    /// <summary>The text, for TX/FT/ST (repetitions joined with line feeds).</summary>
    public string? Text { get; init; }

    /// <summary>The decoded bytes, for ED.</summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Set when the content could not be produced (e.g. <see cref="Hl7WarningCode.EmptyEncapsulatedData"/>).</summary>
    public Hl7WarningCode? Problem { get; init; }
}
