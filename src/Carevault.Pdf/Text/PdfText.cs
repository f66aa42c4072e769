namespace Carevault.Pdf;

/// <summary>Plain text of a document, one string per page, lines in reading order (top to bottom, left to right).</summary>
public sealed class PdfText
{
    internal PdfText(List<string> pages, List<string> warnings)
    {
        Pages = pages;
        Warnings = warnings;
        foreach (var p in pages)
            if (!string.IsNullOrWhiteSpace(p)) { HasTextLayer = true; break; }
    }

    /// <summary>Text per page; lines separated by '\n'.</summary>
    public IReadOnlyList<string> Pages { get; }
    /// <summary>False for image-only (scanned) documents: no page has any text, OCR is needed.</summary>
    public bool HasTextLayer { get; }
    /// <summary>What could not be read (e.g. a content stream with an unsupported filter); no document content.</summary>
    public IReadOnlyList<string> Warnings { get; }
    /// <summary>All pages joined with a form feed, as pdftotext does.</summary>
    public string FullText => string.Join('\f', Pages);
}
