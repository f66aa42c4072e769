using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping;

/// <summary>The kind of report file, as the ingestion pipeline sniffed it.</summary>
public enum ReportFormat
{
    /// <summary>HL7 v2 (one message, or a FHS/BHS batch).</summary>
    Hl7v2,

    /// <summary>DICOM Part 10.</summary>
    Dicom,

    /// <summary>PDF.</summary>
    Pdf,
}

/// <summary>One stored original and the metadata its upload carried.</summary>
public sealed record MappingInput
{
    /// <summary>Which mapper reads <see cref="Content"/>.</summary>
    public required ReportFormat Format { get; init; }

    /// <summary>The original bytes (decrypted). Kept by reference: do not reuse the buffer while mapping.</summary>
    public required ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>SHA-256 of the original (hex); seeds the bundle's deterministic uuids.</summary>
    public required string OriginalSha256 { get; init; }

    /// <summary>Where the original can be downloaded; the attachment url of documents.</summary>
    public required string OriginalUrl { get; init; }

    /// <summary>The declared content type of the original.</summary>
    public required string ContentType { get; init; }

    /// <summary>Patient identifier system from the upload, used when the file carries none.</summary>
    public string? PatientIdentifierSystem { get; init; }

    /// <summary>Patient identifier value from the upload, used when the file carries none.</summary>
    public string? PatientIdentifierValue { get; init; }

    /// <summary>Report type from the upload (DocumentReference.type text for PDFs).</summary>
    public string? ReportType { get; init; }

    /// <summary>Report date from the upload.</summary>
    public DateTimeOffset? ReportDate { get; init; }

    /// <summary>Who sent the report (free text from the upload).</summary>
    public string? Source { get; init; }
}

/// <summary>
/// Why a file could not be mapped. <see cref="Code"/> is stable (e.g. "hl7.missing-msh9"); <see cref="Message"/>
/// names positions and rules, never patient data, so both are safe to log and show.
/// </summary>
public sealed record MappingError(string Code, string Message);

/// <summary>Either a FHIR R4 transaction Bundle or an error; never both.</summary>
public sealed record MappingResult(JsonObject? TransactionBundle, MappingError? Error)
{
    internal static MappingResult Success(JsonObject bundle) => new(bundle, null);

    internal static MappingResult Failure(MappingError error) => new(null, error);

    internal static MappingResult Failure(string code, string message) => new(null, new MappingError(code, message));
}
