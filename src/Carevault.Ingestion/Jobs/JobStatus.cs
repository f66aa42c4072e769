namespace Carevault.Ingestion.Jobs;

/// <summary>The states of an ingestion job (stored as these strings).</summary>
public static class JobStatus
{
    public const string Pending = "pending";
    public const string InProgress = "in-progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string DeadLetter = "dead-letter";
    public const string Quarantined = "quarantined";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { Pending, InProgress, Completed, Failed, DeadLetter, Quarantined, Cancelled };
}
