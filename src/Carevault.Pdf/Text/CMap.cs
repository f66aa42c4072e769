using System.Text;
using Carevault.Pdf.Parsing;

namespace Carevault.Pdf.Text;

/// <summary>
/// CMaps as used by fonts (Adobe Technical Note #5014 and #5411): codespace ranges split a string into codes of
/// 1–4 bytes; bfchar/bfrange map codes to Unicode (ToUnicode), cidchar/cidrange map codes to CIDs (encodings).
/// </summary>
internal sealed class CMap
{
    private const int MaxEntries = 100_000;
    private readonly List<(int Length, uint Low, uint High)> _codespace = [];
    private readonly Dictionary<(int, uint), string> _chars = [];
    private readonly List<(int Length, uint Low, uint High, string? Start, PdfArray? List)> _ranges = [];
    private readonly Dictionary<uint, int> _cidChars = [];
    private readonly List<(uint Low, uint High, int Cid)> _cidRanges = [];

    public bool HasCodespace => _codespace.Count > 0;
    public bool IsEmpty => _chars.Count == 0 && _ranges.Count == 0 && _cidChars.Count == 0 && _cidRanges.Count == 0;

    public static CMap Parse(ReadOnlySpan<byte> data, int maxDepth = 16)
    {
        var cmap = new CMap();
        var reader = new PdfSyntaxReader(data, 0, maxDepth);
        var operands = new List<PdfObject>();
        var entries = 0;
        while (!reader.AtEnd)
        {
            var obj = reader.ReadObjectOrKeyword(out var keyword);
            if (obj is not null)
            {
                if (operands.Count < 30_000) operands.Add(obj);
                continue;
            }
            if (keyword.IsEmpty) break;
            if (keyword.SequenceEqual("endcodespacerange"u8)) cmap.AddCodespace(operands);
            else if (keyword.SequenceEqual("endbfchar"u8)) cmap.AddBfChar(operands);
            else if (keyword.SequenceEqual("endbfrange"u8)) cmap.AddBfRange(operands);
            else if (keyword.SequenceEqual("endcidchar"u8)) cmap.AddCidChar(operands);
            else if (keyword.SequenceEqual("endcidrange"u8)) cmap.AddCidRange(operands);
            entries += operands.Count;
            operands.Clear();
            if (entries > MaxEntries) break;
        }
        return cmap;
    }

    private static bool Code(PdfObject o, out int length, out uint code)
    {
        length = 0;
        code = 0;
        if (o is not PdfString s || s.RawBytes.Length is 0 or > 4) return false;
        length = s.RawBytes.Length;
        foreach (var b in s.RawBytes) code = (code << 8) | b;
        return true;
    }

    private void AddCodespace(List<PdfObject> ops)
    {
        for (var i = 0; i + 1 < ops.Count; i += 2)
            if (Code(ops[i], out var len, out var lo) && Code(ops[i + 1], out _, out var hi))
                _codespace.Add((len, lo, hi));
    }

    private void AddBfChar(List<PdfObject> ops)
    {
        for (var i = 0; i + 1 < ops.Count; i += 2)
        {
            if (!Code(ops[i], out var len, out var code)) continue;
            var text = Destination(ops[i + 1]);
            if (text is not null) _chars[(len, code)] = text;
        }
    }

    private void AddBfRange(List<PdfObject> ops)
    {
        for (var i = 0; i + 2 < ops.Count; i += 3)
        {
            if (!Code(ops[i], out var len, out var lo) || !Code(ops[i + 1], out _, out var hi) || hi < lo) continue;
            if (ops[i + 2] is PdfArray list) _ranges.Add((len, lo, hi, null, list));
            else if (Destination(ops[i + 2]) is { Length: > 0 } start) _ranges.Add((len, lo, hi, start, null));
        }
    }

    private void AddCidChar(List<PdfObject> ops)
    {
        for (var i = 0; i + 1 < ops.Count; i += 2)
            if (Code(ops[i], out _, out var code) && ops[i + 1] is PdfNumber cid) _cidChars[code] = cid.IntValue;
    }

    private void AddCidRange(List<PdfObject> ops)
    {
        for (var i = 0; i + 2 < ops.Count; i += 3)
            if (Code(ops[i], out _, out var lo) && Code(ops[i + 1], out _, out var hi) && ops[i + 2] is PdfNumber cid && hi >= lo)
                _cidRanges.Add((lo, hi, cid.IntValue));
    }

    private static string? Destination(PdfObject o) => o switch
    {
        PdfString s => s.RawBytes.Length >= 2 ? Encoding.BigEndianUnicode.GetString(s.RawBytes, 0, s.RawBytes.Length & ~1)
                     : s.RawBytes.Length == 1 ? ((char)s.RawBytes[0]).ToString() : null,
        PdfName n => GlyphNameToUnicode(n.Value),
        _ => null,
    };

    /// <summary>Splits the next code off <paramref name="s"/> by the codespace ranges; <paramref name="fallbackLength"/> when none match.</summary>
    public int NextCode(ReadOnlySpan<byte> s, int fallbackLength, out uint code)
    {
        for (var len = 1; len <= 4 && len <= s.Length; len++)
        {
            uint c = 0;
            for (var k = 0; k < len; k++) c = (c << 8) | s[k];
            foreach (var (l, lo, hi) in _codespace)
                if (l == len && c >= lo && c <= hi) { code = c; return len; }
        }
        var n = Math.Min(Math.Max(fallbackLength, 1), s.Length);
        code = 0;
        for (var k = 0; k < n; k++) code = (code << 8) | s[k];
        return n;
    }

    public string? Lookup(int length, uint code)
    {
        if (_chars.TryGetValue((length, code), out var text)) return text;
        foreach (var (len, lo, hi, start, list) in _ranges)
        {
            if (len != length || code < lo || code > hi) continue;
            var offset = (int)(code - lo);
            if (list is not null) return offset < list.Count ? Destination(list[offset]) : null;
            // The last character of the destination is incremented (Adobe TN #5411 §1.4.1).
            var chars = start!.ToCharArray();
            chars[^1] = (char)(chars[^1] + offset);
            return new string(chars);
        }
        return null;
    }

    public int? LookupCid(uint code)
    {
        if (_cidChars.TryGetValue(code, out var cid)) return cid;
        foreach (var (lo, hi, start) in _cidRanges)
            if (code >= lo && code <= hi) return start + (int)(code - lo);
        return null;
    }

    /// <summary>Adobe Glyph List subset, then the uniXXXX / uXXXX[XX] conventions; suffixes after '.' are dropped.</summary>
    public static string? GlyphNameToUnicode(string name)
    {
        if (Encodings.GlyphNames.TryGetValue(name, out var c)) return c.ToString();
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0) return GlyphNameToUnicode(name[..dot]);
        if (name.StartsWith("uni", StringComparison.Ordinal) && name.Length >= 7 && (name.Length - 3) % 4 == 0)
        {
            var sb = new StringBuilder();
            for (var i = 3; i < name.Length; i += 4)
            {
                if (!int.TryParse(name.AsSpan(i, 4), System.Globalization.NumberStyles.HexNumber, null, out var v)) return null;
                sb.Append((char)v);
            }
            return sb.ToString();
        }
        if (name.Length is >= 5 and <= 7 && name[0] == 'u' &&
            int.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.HexNumber, null, out var cp) && cp <= 0x10FFFF &&
            cp is < 0xD800 or > 0xDFFF)
            return char.ConvertFromUtf32(cp);
        return null;
    }
}
