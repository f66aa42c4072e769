namespace Carevault.Hl7v2;

/// <summary>
/// Limits for one parse. Each exceeded limit yields an <see cref="Hl7Error"/> of kind <see cref="Hl7ErrorKind.TooLarge"/>
/// rather than unbounded work. Defaults suit lab and ADT feeds that carry embedded PDFs (ED) of a few MiB.
/// </summary>
public sealed record Hl7ParseOptions
{
    /// <summary>The defaults.</summary>
    public static Hl7ParseOptions Default { get; } = new();

    /// <summary>Largest single message, in bytes (default 32 MiB).</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Largest batch/file input to <see cref="Hl7v2Parser.ParseBatch(ReadOnlyMemory{byte}, Hl7ParseOptions?)"/>, in bytes (default 256 MiB).</summary>
    public int MaxBatchBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Most segments in one message (default 10,000).</summary>
    public int MaxSegmentsPerMessage { get; init; } = 10_000;

    /// <summary>Most fields in one segment, counting the segment id as field 0 (default 1,000).</summary>
    public int MaxFieldsPerSegment { get; init; } = 1_000;

    /// <summary>Longest single field (all repetitions), in bytes (default 32 MiB).</summary>
    public int MaxFieldBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Most messages in one batch or file (default 100,000).</summary>
    public int MaxMessagesPerBatch { get; init; } = 100_000;
}
