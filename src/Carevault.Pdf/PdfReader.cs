using Carevault.Pdf.Parsing;

namespace Carevault.Pdf;

/// <summary>
/// Entry point. Structural considerations: the reader is pure (bytes in, values out) and lazy: it reads the
/// cross-reference data, the catalog, the page tree, the Info and Encrypt dictionaries and scans for active
/// content; content streams are decoded only by <see cref="PdfDocument.ExtractText"/>. Malformed input never
/// throws: internal <c>PdfFormatException</c>s unwind to here and become <see cref="PdfError"/> values.
/// </summary>
public static class PdfReader
{
    /// <summary>Opens a PDF held in memory. The memory must stay unchanged while the document is used.</summary>
    public static PdfResult<PdfDocument> Open(ReadOnlyMemory<byte> data, PdfReaderOptions? options = null)
    {
        options ??= PdfReaderOptions.Default;
        if (data.Length > options.MaxFileBytes)
            return new PdfError(PdfErrorKind.TooLarge, "limit-file-size", $"file is larger than {options.MaxFileBytes} bytes");
        var header = data.Span[..Math.Min(data.Length, 1024)].IndexOf("%PDF-"u8);
        if (header < 0)
            return new PdfError(PdfErrorKind.NotPdf, "not-a-pdf", "not a PDF: no %PDF- header in the first 1024 bytes");
        try
        {
            return OpenCore(data, header, options);
        }
        catch (PdfFormatException e)
        {
            return e.Error;
        }
    }

    private static PdfResult<PdfDocument> OpenCore(ReadOnlyMemory<byte> data, int header, PdfReaderOptions options)
    {
        var store = new PdfObjectStore(data, header, options);
        store.Load();
        if (store.Resolve(store.Trailer.Get("Root")) is not PdfDictionary catalog)
        {
            return store.ObjectCount == 0
                ? new PdfError(PdfErrorKind.Damaged, "truncated", "truncated: no trailer and no objects recoverable")
                : new PdfError(PdfErrorKind.Damaged, "no-catalog",
                    $"truncated or damaged: no trailer and no document catalog among {store.ObjectCount} recovered objects");
        }
        var version = ReadHeaderVersion(data.Span[header..]);
        if (catalog.Get("Version") is PdfName v && string.CompareOrdinal(v.Value, version) > 0 && v.Value.Length <= 4) version = v.Value;
        var pages = PageTree.Collect(store, catalog);
        return new PdfDocument(store, version, catalog, pages);
    }

    private static string ReadHeaderVersion(ReadOnlySpan<byte> header)
    {
        // "%PDF-1.7": take digits and dots after the dash.
        var i = 5;
        while (i < header.Length && i < 12 && (header[i] is >= (byte)'0' and <= (byte)'9' || header[i] == '.')) i++;
        return i > 5 ? System.Text.Encoding.ASCII.GetString(header[5..i]) : "unknown";
    }
}
