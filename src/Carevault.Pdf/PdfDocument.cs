using Carevault.Pdf.Parsing;
using Carevault.Pdf.Text;

namespace Carevault.Pdf;

/// <summary>Overall state of an opened document.</summary>
public enum PdfDocumentStatus
{
    /// <summary>Read through its own cross-reference data.</summary>
    Ok,
    /// <summary>Cross-reference data was broken; objects were found by scanning the file.</summary>
    Repaired,
    /// <summary>Has an /Encrypt dictionary: structure and page count are known, strings and streams are not readable.</summary>
    Encrypted,
}

/// <summary>Document information dictionary (ISO 32000-1 §14.3.3). Null where absent or unreadable (encrypted).</summary>
public sealed record PdfMetadata
{
    /// <summary>/Title.</summary>
    public string? Title { get; init; }
    /// <summary>/Author.</summary>
    public string? Author { get; init; }
    /// <summary>/Subject.</summary>
    public string? Subject { get; init; }
    /// <summary>/Keywords.</summary>
    public string? Keywords { get; init; }
    /// <summary>/Creator.</summary>
    public string? Creator { get; init; }
    /// <summary>/Producer.</summary>
    public string? Producer { get; init; }
    /// <summary>/CreationDate, parsed.</summary>
    public DateTimeOffset? CreationDate { get; init; }
    /// <summary>/ModDate, parsed.</summary>
    public DateTimeOffset? ModDate { get; init; }
}

/// <summary>The /Encrypt dictionary as found (ISO 32000-1 §7.6.1); nothing is decrypted.</summary>
public sealed record PdfEncryptionInfo
{
    /// <summary>Security handler, e.g. Standard.</summary>
    public required string Filter { get; init; }
    /// <summary>/V algorithm version (0 when absent).</summary>
    public required int V { get; init; }
    /// <summary>/R revision of the standard handler (0 when absent).</summary>
    public required int R { get; init; }
    /// <summary>/Length key length in bits, when given.</summary>
    public int? KeyLengthBits { get; init; }
    /// <summary>/CFM of the default stream crypt filter (V2, AESV2, AESV3), when given.</summary>
    public string? CryptFilterMethod { get; init; }
}

/// <summary>An opened PDF. Create with <see cref="PdfReader.Open"/>. Not thread-safe (objects load lazily).</summary>
public sealed class PdfDocument
{
    private readonly PdfObjectStore _store;
    private readonly List<PageNode> _pages;

    internal PdfDocument(PdfObjectStore store, string version, PdfDictionary catalog, List<PageNode> pages)
    {
        _store = store;
        _pages = pages;
        Version = version;
        Catalog = catalog;
        Encryption = ReadEncryption(store);
        Metadata = Encryption is null ? ReadMetadata(store) : new PdfMetadata();
        ActiveContent = ActiveContentScanner.Scan(store, catalog);
    }

    /// <summary>PDF version from the header, or the catalog's /Version when that is later.</summary>
    public string Version { get; }
    /// <summary>Number of pages found by walking the page tree.</summary>
    public int PageCount => _pages.Count;
    /// <summary>Info dictionary values.</summary>
    public PdfMetadata Metadata { get; }
    /// <summary>The /Encrypt dictionary, or null when the file is not encrypted.</summary>
    public PdfEncryptionInfo? Encryption { get; }
    /// <summary>Whether the file is encrypted.</summary>
    public bool IsEncrypted => Encryption is not null;
    /// <summary>Encrypted, repaired or plain.</summary>
    public PdfDocumentStatus Status => IsEncrypted ? PdfDocumentStatus.Encrypted : _store.Repaired ? PdfDocumentStatus.Repaired : PdfDocumentStatus.Ok;
    /// <summary>Whether the cross-reference data had to be rebuilt by scanning.</summary>
    public bool WasRepaired => _store.Repaired;
    /// <summary>What the reader had to work around (no document content in these texts).</summary>
    public IReadOnlyList<string> Warnings => _store.Warnings;
    /// <summary>Scripts, launch actions, embedded files and the like, for the quarantine policy.</summary>
    public IReadOnlyList<PdfActiveContentFinding> ActiveContent { get; }
    /// <summary>Whether <see cref="ActiveContent"/> is non-empty.</summary>
    public bool HasActiveContent => ActiveContent.Count > 0;
    /// <summary>The document catalog.</summary>
    public PdfDictionary Catalog { get; }
    /// <summary>The trailer (merged over incremental updates).</summary>
    public PdfDictionary Trailer => _store.Trailer;

    /// <summary>Resolves an indirect reference (anything else is returned as is).</summary>
    public PdfObject Resolve(PdfObject? obj) => _store.Resolve(obj);

    /// <summary>Extracts the text of every page in reading order. Encrypted files yield an <see cref="PdfErrorKind.Encrypted"/> error.</summary>
    public PdfResult<PdfText> ExtractText()
    {
        if (IsEncrypted)
            return new PdfError(PdfErrorKind.Encrypted, "encrypted", $"encrypted ({Encryption!.Filter} V{Encryption.V} R{Encryption.R}): text needs decryption, which is not supported");
        try
        {
            return PdfTextExtractor.Extract(_store, _pages);
        }
        catch (PdfFormatException e)
        {
            return e.Error;
        }
    }

    private static PdfEncryptionInfo? ReadEncryption(PdfObjectStore store)
    {
        if (!store.Trailer.ContainsKey("Encrypt")) return null;
        var dict = store.Resolve(store.Trailer.Get("Encrypt")) as PdfDictionary;
        if (dict is null) return new PdfEncryptionInfo { Filter = "unknown", V = 0, R = 0 };
        int? Int(string key) => store.Resolve(dict.Get(key)) is PdfNumber n ? n.IntValue : null;
        string? cfm = null;
        if (store.Resolve(dict.Get("CF")) is PdfDictionary cf && dict.GetName("StmF") is { } stmF &&
            store.Resolve(cf.Get(stmF)) is PdfDictionary filter)
            cfm = filter.GetName("CFM");
        var v = Int("V") ?? 0;
        var length = Int("Length");
        return new PdfEncryptionInfo
        {
            Filter = dict.GetName("Filter") ?? "unknown",
            V = v,
            R = Int("R") ?? 0,
            KeyLengthBits = length ?? (v == 1 ? 40 : null),
            CryptFilterMethod = cfm,
        };
    }

    private static PdfMetadata ReadMetadata(PdfObjectStore store)
    {
        if (store.Resolve(store.Trailer.Get("Info")) is not PdfDictionary info) return new PdfMetadata();
        string? Text(string key) => store.Resolve(info.Get(key)) is PdfString s ? s.ToText() : null;
        return new PdfMetadata
        {
            Title = Text("Title"),
            Author = Text("Author"),
            Subject = Text("Subject"),
            Keywords = Text("Keywords"),
            Creator = Text("Creator"),
            Producer = Text("Producer"),
            CreationDate = PdfDate.TryParse(Text("CreationDate")),
            ModDate = PdfDate.TryParse(Text("ModDate")),
        };
    }
}

/// <summary>A leaf of the page tree with its inherited resources (ISO 32000-1 §7.7.3.4).</summary>
internal sealed record PageNode(int ObjectNumber, PdfDictionary Page, PdfObject? Resources);
