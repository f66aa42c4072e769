namespace Carevault.Pdf;

/// <summary>Limits that keep hostile input bounded. Exceeding one yields a <see cref="PdfErrorKind.TooLarge"/> error.</summary>
public sealed record PdfReaderOptions
{
    /// <summary>Defaults suited to clinical documents.</summary>
    public static readonly PdfReaderOptions Default = new();

    /// <summary>Largest input accepted, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;
    /// <summary>Most objects a cross-reference table (or a reconstruction) may declare.</summary>
    public int MaxObjects { get; init; } = 1_000_000;
    /// <summary>Most bytes one stream may decode to (zip-bomb guard).</summary>
    public int MaxDecodedStreamBytes { get; init; } = 64 * 1024 * 1024;
    /// <summary>Most bytes all decoded streams of one document may add up to.</summary>
    public long MaxTotalDecodedBytes { get; init; } = 512L * 1024 * 1024;
    /// <summary>Deepest nesting of arrays/dictionaries, page-tree levels and form XObjects.</summary>
    public int MaxNestingDepth { get; init; } = 64;
    /// <summary>Most pages a document may have.</summary>
    public int MaxPages { get; init; } = 10_000;
}
