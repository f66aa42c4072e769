using System.Diagnostics;

namespace Carevault.Pdf.Parsing;

/// <summary>Recovery when the cross-reference data is unusable, after poppler's XRef::constructXRef.</summary>
internal sealed partial class PdfObjectStore
{
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
