using Carevault.Pdf.Filters;

namespace Carevault.Pdf.Parsing;

/// <summary>Cross-reference tables (§7.5.4), trailers and /Prev chains (§7.5.6), xref streams (§7.5.8).</summary>
internal sealed partial class PdfObjectStore
{
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
}
