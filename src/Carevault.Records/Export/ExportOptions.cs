using Microsoft.Extensions.Configuration;

namespace Carevault.Records.Export;

/// <summary>The <c>Records:Export</c> settings (documented in docs/configuration.md).</summary>
public sealed record ExportOptions
{
    /// <summary>Resources per NDJSON file; a type with more is split into several files.</summary>
    public int MaxLinesPerFile { get; init; } = 100_000;

    /// <summary>How long a completed export's files stay downloadable (then the worker deletes them).</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Concurrent export loops in this process; 0 disables exporting here (others do it).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>How long a claimed export stays with its worker before another may take it; renewed between pages.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often an idle worker looks for exports (kick-offs in this process wake it at once) and expired files.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Claims of an export before it fails for good.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Resources read from the database per page while writing a file.</summary>
    public int PageSize { get; init; } = 500;

    public static ExportOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Records:Export");
        var options = new ExportOptions
        {
            MaxLinesPerFile = section.GetValue("MaxLinesPerFile", 100_000),
            Expiry = TimeSpan.FromMinutes(section.GetValue("ExpiryMinutes", 24.0 * 60)),
            Workers = section.GetValue("Workers", 1),
            Lease = TimeSpan.FromSeconds(section.GetValue("LeaseSeconds", 120)),
            PollInterval = TimeSpan.FromMilliseconds(section.GetValue("PollIntervalMs", 2000)),
            MaxAttempts = section.GetValue("MaxAttempts", 3),
            PageSize = section.GetValue("PageSize", 500),
        };
        if (options.MaxLinesPerFile < 1 || options.Expiry <= TimeSpan.Zero || options.Workers < 0 || options.Lease < TimeSpan.FromSeconds(5)
            || options.PollInterval <= TimeSpan.Zero || options.MaxAttempts < 1 || options.PageSize < 1)
            throw new InvalidOperationException("Records:Export: MaxLinesPerFile, ExpiryMinutes, PollIntervalMs, MaxAttempts and PageSize must be positive, Workers at least 0, LeaseSeconds at least 5.");
        return options;
    }
}
