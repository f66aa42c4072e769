namespace Carevault.Ingestion.Jobs;

/// <summary>One row of <c>ingestion_jobs</c> (Dapper maps columns to these settable properties).</summary>
public sealed class IngestionJob
{
    public string Id { get; set; } = "";
    public string TenantId { get; set; } = "";
    public string Submitter { get; set; } = "";
    public string SubmitterKind { get; set; } = "";
    public string? SubmitterRole { get; set; }
    public string SubmitterScopes { get; set; } = "";
    public string Status { get; set; } = "";
    public string Format { get; set; } = "";
    public string ContentType { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public long SizeBytes { get; set; }
    public string BlobKey { get; set; } = "";
    public string MasterKeyId { get; set; } = "";
    public string? IdempotencyKey { get; set; }
    public string? PatientIdentifierSystem { get; set; }
    public string? PatientIdentifierValue { get; set; }
    public string? ReportType { get; set; }
    public string? ReportDate { get; set; }
    public string? Source { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public long? StartedAt { get; set; }
    public long? FinishedAt { get; set; }
    public long Attempts { get; set; }
    public long NextAttemptAt { get; set; }
    public string? LeaseOwner { get; set; }
    public string? Resources { get; set; }
    public string? PatientRef { get; set; }
    public string? ProblemCode { get; set; }
    public string? ProblemDetail { get; set; }
    public long Quarantined { get; set; }

    public IReadOnlyList<string> ResourceList =>
        Resources is null ? [] : System.Text.Json.JsonSerializer.Deserialize<List<string>>(Resources) ?? [];
}
