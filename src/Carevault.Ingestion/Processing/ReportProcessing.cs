using System.Text.Json.Nodes;
using Carevault.Ingestion.Jobs;

namespace Carevault.Ingestion.Processing;

/// <summary>What a processor gets: the job, its verified original, and the URL the original is served at.</summary>
public sealed record ProcessingInput
{
    public required IngestionJob Job { get; init; }
    public required ReadOnlyMemory<byte> Content { get; init; }
    public required string OriginalUrl { get; init; }
}

/// <summary>Why a processor could not turn a file into resources: a stable code and a message without patient data.</summary>
public sealed record ProcessingError(string Code, string Message);

/// <summary>A FHIR transaction Bundle (<c>urn:uuid:</c> fullUrls) to commit, or the reason there is none.</summary>
public sealed record ProcessingOutput(JsonObject? TransactionBundle, ProcessingError? Error)
{
    public static ProcessingOutput Fail(string code, string message) => new(null, new ProcessingError(code, message));
}

/// <summary>
/// Turns one report format into a transaction Bundle. Pure with respect to storage: the pipeline adds Provenance and
/// the original's DocumentReference, checks consent and commits (docs/decisions/0010-ingestion-queue.md).
/// </summary>
public interface IReportProcessor
{
    ReportFormat Format { get; }

    /// <summary>True when the Bundle is the submitter's own FHIR: its entries are checked against the submitter's rights.</summary>
    bool SubmitterAuthored { get; }

    ProcessingOutput Process(ProcessingInput input);
}
