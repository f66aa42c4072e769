using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Processing;

/// <summary>
/// The seam for the HL7 v2, DICOM and PDF mappers (a pure library, Carevault.Ingestion.Mapping): bytes and metadata
/// in, a FHIR transaction Bundle out. Register one <see cref="ReportMapping"/> in DI; until then those formats fail their
/// jobs with <c>mapping-unavailable</c>. The adapter is a few lines, see src/Carevault.Ingestion/README.md.
/// </summary>
public delegate ReportMappingResult ReportMapping(ReportMappingInput input);

/// <summary>Mirrors the mapping library's <c>MappingInput</c>.</summary>
public sealed record ReportMappingInput
{
    public required ReportFormat Format { get; init; }
    public required ReadOnlyMemory<byte> Content { get; init; }
    public required string OriginalSha256 { get; init; }
    public required string OriginalUrl { get; init; }
    public required string ContentType { get; init; }
    public string? PatientIdentifierSystem { get; init; }
    public string? PatientIdentifierValue { get; init; }
    public string? ReportType { get; init; }
    public DateTimeOffset? ReportDate { get; init; }
    public string? Source { get; init; }
}

/// <summary>Mirrors the mapping library's <c>MappingResult</c>: a transaction Bundle, or an error code and message (no patient data).</summary>
public sealed record ReportMappingResult(JsonObject? TransactionBundle, string? ErrorCode = null, string? ErrorMessage = null);
