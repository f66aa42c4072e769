using Carevault.Pdf.Filters;

namespace Carevault.Pdf.Parsing;

/// <summary>
/// The cross-reference machinery: xref tables and streams along the /Prev chain (ISO 32000-1 §7.5.4–7.5.8),
/// object streams (§7.5.7), and, when that fails, reconstruction by scanning for "n g obj" as poppler's
/// XRef::constructXRef does. Objects are parsed lazily and cached.
/// </summary>
internal sealed partial class PdfObjectStore
{
    private readonly record struct Entry(long Offset, int StreamNumber, int Index, bool Compressed);
    private sealed record ObjectStreamContent(byte[] Data, int[] Numbers, int[] Offsets, int First);

    private readonly ReadOnlyMemory<byte> _data;
    private readonly PdfReaderOptions _options;
    private readonly int _headerOffset;
    private Dictionary<int, Entry> _entries = [];
    private readonly Dictionary<int, PdfObject> _cache = [];
    private readonly HashSet<int> _loading = [];
    private readonly Dictionary<int, ObjectStreamContent?> _objectStreams = [];
    private long _decodedTotal;
    private int _resolveDepth;

    public PdfObjectStore(ReadOnlyMemory<byte> data, int headerOffset, PdfReaderOptions options)
    {
        _data = data;
        _headerOffset = headerOffset;
        _options = options;
    }

    public PdfDictionary Trailer { get; private set; } = new([]);
    public bool Repaired { get; private set; }
    public List<string> Warnings { get; } = [];
    public int ObjectCount => _entries.Count;
    public IEnumerable<int> ObjectNumbers => _entries.Keys;
    public PdfReaderOptions Options => _options;

    /// <summary>Loads the cross-reference information; reconstructs it when the chain is unusable.</summary>
    public void Load()
    {
        if (TryReadXrefChain(out var failure) && Resolve(Trailer.Get("Root")) is PdfDictionary)
            return;
        Warnings.Add(failure ?? "document catalog not reachable through the cross-reference table");
        Reconstruct();
    }

    // ---- resolution ----

    public PdfObject Resolve(PdfObject? obj)
    {
        if (obj is not PdfReference r) return obj ?? PdfNull.Instance;
        return GetObject(r.ObjectNumber);
    }

    public PdfObject GetObject(int number)
    {
        if (_cache.TryGetValue(number, out var cached)) return cached;
        if (!_entries.TryGetValue(number, out var entry)) return PdfNull.Instance;
        // A reference chain or a /Length that points back at its own object must not recurse forever.
        if (!_loading.Add(number) || _resolveDepth > 32) return PdfNull.Instance;
        _resolveDepth++;
        try
        {
            var obj = entry.Compressed ? LoadCompressed(number, entry) : LoadAt(number, entry.Offset, allowRepair: true);
            if (obj is PdfReference next) obj = GetObject(next.ObjectNumber);
            _cache[number] = obj;
            return obj;
        }
        finally
        {
            _resolveDepth--;
            _loading.Remove(number);
        }
    }

    private PdfObject LoadAt(int number, long offset, bool allowRepair)
    {
        var span = _data.Span;
        var reader = new PdfSyntaxReader(span, (int)Math.Min(offset, span.Length), _options.MaxNestingDepth);
        if (offset >= span.Length || !reader.TryReadObjectHeader(out var n, out _) || n != number)
        {
            // Offsets measured from a header that is not at byte 0 (junk before %PDF-).
            if (_headerOffset > 0 && offset + _headerOffset < span.Length)
            {
                reader = new PdfSyntaxReader(span, (int)(offset + _headerOffset), _options.MaxNestingDepth);
                if (reader.TryReadObjectHeader(out n, out _) && n == number) return ReadBody(ref reader);
            }
            if (allowRepair && !Repaired)
            {
                Warnings.Add("cross-reference offset does not point at its object");
                Reconstruct();
                if (_entries.TryGetValue(number, out var e))
                    return e.Compressed ? LoadCompressed(number, e) : LoadAt(number, e.Offset, allowRepair: false);
            }
            return PdfNull.Instance;
        }
        return ReadBody(ref reader);
    }

    private PdfObject ReadBody(ref PdfSyntaxReader reader)
    {
        var obj = reader.ReadObject() ?? PdfNull.Instance;
        if (obj is not PdfDictionary dict) return obj;
        var dataStart = reader.TryReadStreamKeyword();
        if (dataStart < 0) return dict;
        var length = StreamLength(dict, dataStart);
        return new PdfStream(dict, _data.Slice(dataStart, length));
    }

    private int StreamLength(PdfDictionary dict, int dataStart)
    {
        var span = _data.Span;
        var available = span.Length - dataStart;
        var declared = Resolve(dict.Get("Length")) is PdfNumber n ? n.Value : -1;
        if (declared >= 0 && declared <= available)
        {
            var len = (int)declared;
            var after = new PdfSyntaxReader(span, dataStart + len, 1);
            after.SkipWhitespaceAndComments();
            if (span[after.Position..].StartsWith("endstream"u8)) return len;
        }
        // Wrong or missing /Length: find "endstream" and trim the end-of-line before it (§7.3.8.1).
        var rest = span[dataStart..];
        var end = rest.IndexOf("endstream"u8);
        if (end < 0) return available; // truncated file: take what there is
        if (end > 0 && rest[end - 1] == '\n') end--;
        if (end > 0 && rest[end - 1] == '\r') end--;
        return end;
    }

    private PdfObject LoadCompressed(int number, Entry entry)
    {
        if (!_objectStreams.TryGetValue(entry.StreamNumber, out var content))
        {
            content = ReadObjectStream(entry.StreamNumber);
            _objectStreams[entry.StreamNumber] = content;
        }
        if (content is null) return PdfNull.Instance;
        var index = entry.Index;
        if (index < 0 || index >= content.Numbers.Length || content.Numbers[index] != number)
            index = Array.IndexOf(content.Numbers, number);
        if (index < 0) return PdfNull.Instance;
        var start = (long)content.First + content.Offsets[index];
        if (start < 0 || start >= content.Data.Length) return PdfNull.Instance;
        var reader = new PdfSyntaxReader(content.Data, (int)start, _options.MaxNestingDepth);
        return reader.ReadObject() ?? PdfNull.Instance;
    }

    private ObjectStreamContent? ReadObjectStream(int streamNumber)
    {
        if (GetObject(streamNumber) is not PdfStream stream) return null;
        var count = Resolve(stream.Dictionary.Get("N")) is PdfNumber nn ? nn.IntValue : 0;
        var first = Resolve(stream.Dictionary.Get("First")) is PdfNumber ff ? ff.IntValue : 0;
        if (count <= 0 || first < 0) return null;
        if (count > _options.MaxObjects) PdfFormatException.Limit("limit-objects", $"object stream declares more than {_options.MaxObjects} objects");
        var decoded = Decode(stream);
        if (decoded.Status is not (DecodeStatus.Ok or DecodeStatus.Corrupt)) return null;
        var reader = new PdfSyntaxReader(decoded.Data, 0, 4);
        var numbers = new List<int>();
        var offsets = new List<int>();
        for (var i = 0; i < count; i++)
        {
            if (reader.ReadObject() is not PdfNumber num || reader.ReadObject() is not PdfNumber off) break;
            numbers.Add(num.IntValue);
            offsets.Add(off.IntValue);
        }
        return new ObjectStreamContent(decoded.Data, [.. numbers], [.. offsets], first);
    }

    // ---- streams ----

    /// <summary>Decodes a stream within the per-stream and per-document limits.</summary>
    public DecodeResult Decode(PdfStream stream)
    {
        var remaining = _options.MaxTotalDecodedBytes - _decodedTotal;
        var limit = (int)Math.Min(_options.MaxDecodedStreamBytes, Math.Max(0, remaining));
        var result = PdfFilters.Decode(stream, o => Resolve(o), limit);
        _decodedTotal += result.Data.Length;
        if (result.Status == DecodeStatus.TooLarge)
            PdfFormatException.Limit("limit-stream-size",
                remaining < _options.MaxDecodedStreamBytes
                    ? $"decoded streams exceed {_options.MaxTotalDecodedBytes} bytes in total"
                    : $"a stream decodes to more than {_options.MaxDecodedStreamBytes} bytes");
        return result;
    }
}
