namespace Carevault.Dicom;

/// <summary>
/// Limits and recovery switches. Every limit bounds work or memory on hostile input; defaults suit real files.
/// </summary>
public sealed record DicomReaderOptions
{
    /// <summary>The defaults.</summary>
    public static DicomReaderOptions Default { get; } = new();

    /// <summary>Largest accepted value of any element other than top-level Pixel Data (which is only located). Default 256 MiB.</summary>
    public long MaxElementLength { get; init; } = 256L * 1024 * 1024;

    /// <summary>Deepest accepted sequence nesting (a top-level sequence is depth 1). Default 64; capped at 256 to bound stack use.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Most items in one sequence, and most fragments in encapsulated pixel data. Default 100,000.</summary>
    public int MaxItems { get; init; } = 100_000;

    /// <summary>Most elements in the whole file, file meta and nested ones included. Default 1,000,000.</summary>
    public int MaxElements { get; init; } = 1_000_000;

    /// <summary>Largest input read from a stream, and largest inflated data set (deflated syntax). Default 1 GiB.</summary>
    public long MaxInputLength { get; init; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Stop after this top-level tag, before any later element (like <c>dcmdump +st</c>): values past it are
    /// neither read nor checked, so a file truncated after it still reads.
    /// </summary>
    public DicomTag? StopAfter { get; init; }

    /// <summary>
    /// Stop once top-level Pixel Data is located; a defined-length value is then not read (a stream is not read
    /// past its header), only checked against the input length when that is known.
    /// </summary>
    public bool StopAtPixelData { get; init; }
}
