using Microsoft.Extensions.Configuration;

namespace Carevault.Ingestion;

/// <summary>What the pipeline does with a PDF that carries active content (JavaScript, Launch, embedded files).</summary>
public enum PdfActiveContentPolicy { Quarantine, Reject, Allow }

/// <summary>The <c>Ingestion</c> and <c>Scanning</c> configuration sections (documented in docs/configuration.md).</summary>
public sealed record IngestionOptions
{
    /// <summary>Largest upload accepted (413 beyond).</summary>
    public long MaxUploadBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Largest original a worker loads for processing (bigger ones fail their job; the original stays), and the most
    /// that all worker loops of the process hold in memory together (<see cref="Jobs.ByteBudget"/>).
    /// </summary>
    public long MaxProcessingBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Attempts (claims) of a job before it goes to the dead letters.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>
    /// Concurrent worker loops in this process; 0 disables processing here (upload-only instance). A job spends most
    /// of its time waiting for commits, which the group writer shares among the loops waiting together: small HL7 jobs
    /// ran at 98 jobs/s with 2 loops, 123 with 8, 176 with 16 and 156 with 64 (docs/performance.md). Together the loops
    /// hold at most <see cref="MaxProcessingBytes"/> of files in memory.
    /// </summary>
    public int Workers { get; init; } = DefaultWorkers;

    public const int DefaultWorkers = 16;

    /// <summary>How long a claimed job stays with its worker before another may take it (a worker that died).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle worker looks for due jobs (new uploads in this process wake it at once).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>First retry delay after a transient failure; doubled per attempt, at most <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Required metadata fields per report type (<c>Ingestion:RequiredMetadata:&lt;type&gt;</c> = comma-separated).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredMetadata { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>clamd address (<c>tcp://host:port</c> or <c>unix:/path/clamd.sock</c>); null: no ClamAV scan.</summary>
    public string? ClamAvEndpoint { get; init; }

    public TimeSpan ClamAvTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public PdfActiveContentPolicy PdfActiveContent { get; init; } = PdfActiveContentPolicy.Quarantine;

    /// <summary>The address clients use, for the original's URL in DocumentReference attachments (else a relative URL).</summary>
    public string? PublicUrl { get; init; }

    /// <summary>The metadata fields a report type may require.</summary>
    public static readonly IReadOnlySet<string> MetadataFields = new HashSet<string>(StringComparer.Ordinal) { "patientIdentifier", "reportType", "reportDate", "source" };

    public static IngestionOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Ingestion");
        var scanning = configuration.GetSection("Scanning");
        var required = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetSection("RequiredMetadata").GetChildren())
        {
            var fields = (child.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var field in fields)
                if (!MetadataFields.Contains(field))
                    throw new InvalidOperationException($"Ingestion:RequiredMetadata:{child.Key} names '{field}'; fields are {string.Join(", ", MetadataFields)}.");
            required[child.Key] = fields;
        }
        var policyText = scanning["PdfActiveContent"] ?? "quarantine";
        if (!Enum.TryParse<PdfActiveContentPolicy>(policyText, ignoreCase: true, out var policy))
            throw new InvalidOperationException("Scanning:PdfActiveContent must be quarantine, reject or allow.");
        var options = new IngestionOptions
        {
            MaxUploadBytes = section.GetValue("MaxUploadBytes", 1024L * 1024 * 1024),
            MaxProcessingBytes = section.GetValue("MaxProcessingBytes", 256L * 1024 * 1024),
            MaxAttempts = section.GetValue("MaxAttempts", 5),
            Workers = section.GetValue("Workers", DefaultWorkers),
            Lease = TimeSpan.FromSeconds(section.GetValue("LeaseSeconds", 300.0)),
            PollInterval = TimeSpan.FromMilliseconds(section.GetValue("PollIntervalMs", 2000.0)),
            RetryDelay = TimeSpan.FromMilliseconds(section.GetValue("RetryDelayMs", 10_000.0)),
            MaxRetryDelay = TimeSpan.FromMilliseconds(section.GetValue("MaxRetryDelayMs", 1_800_000.0)),
            RequiredMetadata = required,
            ClamAvEndpoint = scanning["ClamAv:Endpoint"] is { Length: > 0 } endpoint ? endpoint : null,
            ClamAvTimeout = TimeSpan.FromSeconds(scanning.GetValue("ClamAv:TimeoutSeconds", 30.0)),
            PdfActiveContent = policy,
            PublicUrl = configuration["PublicUrl"] is { Length: > 0 } url ? url.TrimEnd('/') : null,
        };
        if (options.MaxUploadBytes <= 0 || options.MaxProcessingBytes <= 0 || options.MaxAttempts < 1 || options.Workers < 0 || options.Lease <= TimeSpan.Zero)
            throw new InvalidOperationException("Ingestion: MaxUploadBytes, MaxProcessingBytes, MaxAttempts and LeaseSeconds must be positive, Workers 0 or more.");
        return options;
    }

    /// <summary>Delay before the next claim after <paramref name="attempts"/> failed attempts: RetryDelay × 2^(n−1), capped.</summary>
    public TimeSpan RetryDelayAfter(long attempts)
    {
        var delay = RetryDelay * Math.Pow(2, Math.Clamp(attempts - 1, 0, 20));
        return delay > MaxRetryDelay ? MaxRetryDelay : delay;
    }
}
