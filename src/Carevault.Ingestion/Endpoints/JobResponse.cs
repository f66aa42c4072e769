using Carevault.Ingestion.Jobs;

namespace Carevault.Ingestion.Endpoints;

/// <summary>A job as the API shows it. Times are UTC; <c>problem</c> is set for failed, dead-letter and quarantined jobs.</summary>
public sealed record JobResponse
{
    public required string JobId { get; init; }
    public required string Status { get; init; }
    public required string Format { get; init; }
    public required string ContentType { get; init; }
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    public required string Submitter { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required long Attempts { get; init; }
    public required bool Quarantined { get; init; }
    public required IReadOnlyList<string> Resources { get; init; }
    public string? Patient { get; init; }
    public JobProblem? Problem { get; init; }
    public required string Original { get; init; }
    public required JobMetadata Metadata { get; init; }

    public static JobResponse From(IngestionJob job) => new()
    {
        JobId = job.Id,
        Status = job.Status,
        Format = job.Format,
        ContentType = job.ContentType,
        Sha256 = job.Sha256,
        Size = job.SizeBytes,
        Submitter = job.Submitter,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAt),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.UpdatedAt),
        StartedAt = job.StartedAt is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
        FinishedAt = job.FinishedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
        Attempts = job.Attempts,
        Quarantined = job.Quarantined != 0,
        Resources = job.ResourceList,
        Patient = job.PatientRef,
        // A pending job may carry the code of its last transient failure; it is shown only once the job has ended.
        Problem = job.ProblemCode is { } code && job.Status is not (JobStatus.Pending or JobStatus.InProgress)
            ? new JobProblem("urn:carevault:problem:" + code, code, job.ProblemDetail)
            : null,
        Original = $"/api/reports/{job.Id}/original",
        Metadata = new JobMetadata(job.PatientIdentifierSystem, job.PatientIdentifierValue, job.ReportType, job.ReportDate, job.Source),
    };
}

/// <summary>Why a job ended without resources (RFC 7807 members).</summary>
public sealed record JobProblem(string Type, string Code, string? Detail);

public sealed record JobMetadata(string? PatientIdentifierSystem, string? PatientIdentifierValue, string? ReportType, string? ReportDate, string? Source);

/// <summary>One page of a listing; <c>next</c> is the cursor for the following page, null on the last.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
