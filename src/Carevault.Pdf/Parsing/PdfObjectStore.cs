using System.Diagnostics;
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

    // ---- cross-reference chain ----

    private bool TryReadXrefChain(out string? failure)
    {
        failure = null;
        var span = _data.Span;
        var start = FindStartXref(span);
        if (start < 0) { failure = "no startxref"; return false; }
        var visited = new HashSet<long>();
        var first = true;
        var offset = start;
        while (offset >= 0)
        {
            if (!visited.Add(offset) || visited.Count > 1024) { failure = "/Prev chain loops"; break; }
            var trailer = ReadXrefSection(offset, out failure);
            if (trailer is null && _headerOffset > 0) trailer = ReadXrefSection(offset + _headerOffset, out failure);
            if (trailer is null) return !first && Trailer.ContainsKey("Root");
            if (first) Trailer = trailer;
            else MergeTrailer(trailer);
            first = false;
            if (Resolve(trailer.Get("XRefStm")) is PdfNumber hybrid) ReadXrefSection((long)hybrid.Value, out _);
            offset = trailer.Get("Prev") is PdfNumber prev && prev.Value >= 0 ? (long)prev.Value : -1;
        }
        return !first;
    }

    private void MergeTrailer(PdfDictionary older)
    {
        // An update's trailer normally repeats everything; fill only what a sloppy writer left out.
        var merged = new Dictionary<string, PdfObject>(Trailer.Entries, StringComparer.Ordinal);
        foreach (var (k, v) in older.Entries) merged.TryAdd(k, v);
        Trailer = new PdfDictionary(merged);
    }

    private static long FindStartXref(ReadOnlySpan<byte> span)
    {
        var tail = span[Math.Max(0, span.Length - 4096)..];
        var at = tail.LastIndexOf("startxref"u8);
        if (at < 0) return -1;
        var reader = new PdfSyntaxReader(tail, at + 9, 1);
        return reader.ReadObject() is PdfNumber { IsInteger: true } n && n.Value >= 0 ? (long)n.Value : -1;
    }

    private PdfDictionary? ReadXrefSection(long offset, out string? failure)
    {
        failure = null;
        var span = _data.Span;
        if (offset < 0 || offset >= span.Length) { failure = "startxref points outside the file"; return null; }
        var reader = new PdfSyntaxReader(span, (int)offset, _options.MaxNestingDepth);
        reader.SkipWhitespaceAndComments();
        if (span[reader.Position..].StartsWith("xref"u8))
        {
            reader.Position += 4;
            return ReadXrefTable(ref reader, out failure);
        }
        if (reader.TryReadObjectHeader(out var number, out _))
        {
            var obj = ReadBody(ref reader);
            if (obj is PdfStream s && s.Dictionary.GetName("Type") == "XRef")
            {
                _cache.TryAdd(number, s);
                return ReadXrefStream(s, out failure) ? s.Dictionary : null;
            }
        }
        failure = "startxref does not point at a cross-reference section";
        return null;
    }

    private PdfDictionary? ReadXrefTable(ref PdfSyntaxReader reader, out string? failure)
    {
        failure = "malformed cross-reference table";
        var span = reader.Data;
        while (true)
        {
            reader.SkipWhitespaceAndComments();
            if (reader.AtEnd) return null;
            if (span[reader.Position..].StartsWith("trailer"u8))
            {
                reader.Position += 7;
                failure = null;
                return reader.ReadObject() as PdfDictionary;
            }
            if (reader.ReadObject() is not PdfNumber { IsInteger: true } first || reader.ReadObject() is not PdfNumber { IsInteger: true } count)
                return null;
            if (first.Value < 0 || count.Value < 0 || first.Value + count.Value > _options.MaxObjects)
                PdfFormatException.Limit("limit-objects", $"cross-reference table declares more than {_options.MaxObjects} objects");
            for (var i = 0; i < (int)count.Value; i++)
            {
                reader.SkipWhitespaceAndComments();
                var off = reader.ReadRegularToken();
                reader.SkipWhitespaceAndComments();
                var gen = reader.ReadRegularToken();
                reader.SkipWhitespaceAndComments();
                var kind = reader.ReadRegularToken();
                if (!PdfSyntaxReader.AllDigits(off) || !PdfSyntaxReader.AllDigits(gen) || kind.Length != 1) return null;
                var number = (int)first.Value + i;
                if (kind[0] == 'n' && number > 0)
                    _entries.TryAdd(number, new Entry(ParseLong(off), 0, 0, false)); // newest section wins
            }
        }
    }

    private static long ParseLong(ReadOnlySpan<byte> digits)
    {
        long v = 0;
        foreach (var c in digits) { v = (v * 10) + (c - '0'); if (v > int.MaxValue) return int.MaxValue; }
        return v;
    }

    private bool ReadXrefStream(PdfStream stream, out string? failure)
    {
        failure = "malformed cross-reference stream";
        var dict = stream.Dictionary;
        if (Resolve(dict.Get("W")) is not PdfArray { Count: 3 } w) return false;
        Span<int> widths = stackalloc int[3];
        for (var i = 0; i < 3; i++)
        {
            if (Resolve(w[i]) is not PdfNumber n || n.Value < 0 || n.Value > 8) return false;
            widths[i] = n.IntValue;
        }
        var size = Resolve(dict.Get("Size")) is PdfNumber sz ? sz.Value : 0;
        if (size < 0 || size > _options.MaxObjects)
            PdfFormatException.Limit("limit-objects", $"cross-reference stream declares more than {_options.MaxObjects} objects");
        var index = Resolve(dict.Get("Index")) as PdfArray;
        var decoded = PdfFilters.Decode(stream, o => Resolve(o), _options.MaxDecodedStreamBytes);
        if (decoded.Status == DecodeStatus.TooLarge)
            PdfFormatException.Limit("limit-stream-size", $"a stream decodes to more than {_options.MaxDecodedStreamBytes} bytes");
        if (decoded.Status != DecodeStatus.Ok) return false;
        var rowLength = widths[0] + widths[1] + widths[2];
        if (rowLength == 0) return false;
        var data = decoded.Data;
        var pos = 0;
        var sections = index is null ? 1 : index.Count / 2;
        for (var s = 0; s < sections; s++)
        {
            double start = 0, count = size;
            if (index is not null)
            {
                if (Resolve(index[2 * s]) is not PdfNumber a || Resolve(index[(2 * s) + 1]) is not PdfNumber b) return false;
                start = a.Value;
                count = b.Value;
            }
            if (start < 0 || count < 0 || start + count > _options.MaxObjects)
                PdfFormatException.Limit("limit-objects", $"cross-reference stream declares more than {_options.MaxObjects} objects");
            for (var i = 0; i < (int)count && pos + rowLength <= data.Length; i++, pos += rowLength)
            {
                var row = data.AsSpan(pos, rowLength);
                var type = widths[0] == 0 ? 1 : Field(row[..widths[0]]);
                var f2 = Field(row.Slice(widths[0], widths[1]));
                var f3 = Field(row.Slice(widths[0] + widths[1], widths[2]));
                var number = (int)start + i;
                if (number <= 0) continue;
                if (type == 1) _entries.TryAdd(number, new Entry(f2, 0, 0, false));
                else if (type == 2 && f2 <= int.MaxValue) _entries.TryAdd(number, new Entry(0, (int)f2, (int)Math.Min(f3, int.MaxValue), true));
            }
        }
        failure = null;
        return true;
    }

    private static long Field(ReadOnlySpan<byte> bytes)
    {
        long v = 0;
        foreach (var b in bytes) v = (v << 8) | b;
        return v < 0 ? long.MaxValue : v;
    }

    // ---- reconstruction ----

    /// <summary>Rebuilds the object table by scanning for "n g obj"; later definitions win (incremental updates).</summary>
    private void Reconstruct()
    {
        if (Repaired) return;
        Repaired = true;
        var span = _data.Span;
        var entries = new Dictionary<int, Entry>();
        PdfDictionary? trailer = null;
        var pos = 0;
        while (pos < span.Length)
        {
            var rest = span[pos..];
            var hit = rest.IndexOf("obj"u8);
            var trailerHit = hit < 0 ? rest.IndexOf("trailer"u8) : rest[..hit].IndexOf("trailer"u8);
            if (trailerHit >= 0)
            {
                var r = new PdfSyntaxReader(span, pos + trailerHit + 7, _options.MaxNestingDepth);
                if (r.ReadObject() is PdfDictionary t && t.ContainsKey("Root")) trailer = t;
                pos += trailerHit + 7;
                continue;
            }
            if (hit < 0) break;
            var at = pos + hit;
            pos = at + 3;
            if (pos < span.Length && PdfSyntaxReader.IsRegular(span[pos])) continue; // "objects", "endobj" handled below
            if (at > 0 && PdfSyntaxReader.IsRegular(span[at - 1])) continue;        // "endobj"
            var start = ObjectHeaderStart(span, at, out var number);
            if (start < 0 || number <= 0) continue;
            entries[number] = new Entry(start, 0, 0, false);
            if (entries.Count > _options.MaxObjects)
                PdfFormatException.Limit("limit-objects", $"more than {_options.MaxObjects} objects");
        }
        _entries = entries;
        _cache.Clear();
        _objectStreams.Clear();

        // Objects inside object streams, xref-stream trailers and, failing all else, a catalog found by type.
        var direct = new List<int>(entries.Keys);
        PdfReference? catalog = null;
        foreach (var number in direct)
        {
            var obj = GetObject(number);
            var dict = obj switch { PdfStream s => s.Dictionary, PdfDictionary d => d, _ => null };
            switch (dict?.GetName("Type"))
            {
                case "ObjStm":
                    AddObjectStreamEntries(number);
                    break;
                case "XRef" when dict.ContainsKey("Root"):
                    trailer ??= dict;
                    break;
                case "Catalog":
                    catalog = new PdfReference(number, 0);
                    break;
            }
        }
        if (trailer is null || Resolve(trailer.Get("Root")) is not PdfDictionary)
        {
            var merged = new Dictionary<string, PdfObject>(trailer?.Entries ?? Trailer.Entries, StringComparer.Ordinal);
            if (catalog is not null) merged["Root"] = catalog;
            else merged.Remove("Root");
            trailer = new PdfDictionary(merged);
        }
        Trailer = trailer;
    }

    private void AddObjectStreamEntries(int streamNumber)
    {
        if (!_objectStreams.TryGetValue(streamNumber, out var content))
        {
            content = ReadObjectStream(streamNumber);
            _objectStreams[streamNumber] = content;
        }
        if (content is null) return;
        for (var i = 0; i < content.Numbers.Length; i++)
            if (content.Numbers[i] > 0)
                _entries.TryAdd(content.Numbers[i], new Entry(0, streamNumber, i, true));
    }

    /// <summary>Given the index of "obj", walks back over "gen" and "num"; returns the offset of num or -1.</summary>
    private static int ObjectHeaderStart(ReadOnlySpan<byte> span, int objAt, out int number)
    {
        number = 0;
        var i = objAt - 1;
        if (i < 0 || !PdfSyntaxReader.IsWhitespace(span[i])) return -1;
        while (i >= 0 && PdfSyntaxReader.IsWhitespace(span[i])) i--;
        var genEnd = i;
        while (i >= 0 && span[i] is >= (byte)'0' and <= (byte)'9') i--;
        if (i == genEnd || genEnd - i > 5 || i < 0 || !PdfSyntaxReader.IsWhitespace(span[i])) return -1;
        while (i >= 0 && PdfSyntaxReader.IsWhitespace(span[i])) i--;
        var numEnd = i;
        while (i >= 0 && span[i] is >= (byte)'0' and <= (byte)'9') i--;
        if (i == numEnd || numEnd - i > 10) return -1;
        if (i >= 0 && PdfSyntaxReader.IsRegular(span[i])) return -1;
        number = PdfSyntaxReader.ParseSmallInt(span[(i + 1)..(numEnd + 1)]);
        Debug.Assert(i + 1 <= objAt);
        return i + 1;
    }
}
