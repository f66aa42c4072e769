using Carevault.Pdf.Filters;
using Carevault.Pdf.Parsing;

namespace Carevault.Pdf.Text;

/// <summary>One decoded glyph: its Unicode text (possibly empty), advance in text space units / 1000, and whether Tw applies.</summary>
internal readonly record struct Glyph(string Text, double Width, bool IsWordSpace);

/// <summary>
/// Font → Unicode and widths (ISO 32000-1 §9.6–9.10). Priority follows §9.10.2: ToUnicode first, then the
/// simple-font encoding (base encoding + /Differences); composite fonts rely on ToUnicode.
/// </summary>
internal sealed class PdfFont
{
    private readonly string?[] _simple = new string?[256];
    private readonly double[] _simpleWidths = new double[256];
    private readonly CMap? _toUnicode;
    private readonly CMap? _encoding;          // composite fonts with an embedded CMap
    private readonly Dictionary<int, double>? _cidWidths;
    private readonly double _defaultWidth;
    private double _widthScale = 1;   // Type 3: glyph space → 1/1000 text space

    public bool IsComposite { get; }

    private PdfFont(bool composite, CMap? toUnicode, CMap? encoding, Dictionary<int, double>? cidWidths, double defaultWidth)
    {
        IsComposite = composite;
        _toUnicode = toUnicode;
        _encoding = encoding;
        _cidWidths = cidWidths;
        _defaultWidth = defaultWidth;
    }

    /// <summary>A fallback when the font resource is missing: Latin-1-ish codes, average width.</summary>
    public static PdfFont Fallback()
    {
        var f = new PdfFont(false, null, null, null, 500);
        for (var i = 0; i < 256; i++)
        {
            f._simple[i] = Encodings.WinAnsi[i] == 0 ? null : ((char)Encodings.WinAnsi[i]).ToString();
            f._simpleWidths[i] = 500;
        }
        return f;
    }

    public static PdfFont Load(PdfObjectStore store, PdfDictionary dict)
    {
        var subtype = dict.GetName("Subtype");
        var toUnicode = LoadCMap(store, dict.Get("ToUnicode"));
        if (subtype == "Type0") return LoadComposite(store, dict, toUnicode);

        var baseFont = store.Resolve(dict.Get("BaseFont")) is PdfName bf ? bf.Value : "";
        var defaultWidth = baseFont.Contains("Courier", StringComparison.Ordinal) ? 600 : 500;
        if (store.Resolve(dict.Get("FontDescriptor")) is PdfDictionary fd && store.Resolve(fd.Get("MissingWidth")) is PdfNumber mw && mw.Value > 0)
            defaultWidth = (int)mw.Value;
        var font = new PdfFont(false, toUnicode, null, null, defaultWidth);
        if (subtype == "Type3" && store.Resolve(dict.Get("FontMatrix")) is PdfArray fm && fm.Count >= 1 && store.Resolve(fm[0]) is PdfNumber sx)
            font._widthScale = Math.Clamp(sx.Value * 1000, 0, 100);

        // Base encoding: the font's own name, else Standard for Type 1, WinAnsi otherwise (what viewers assume for TrueType).
        var table = subtype is "Type1" or "MMType1" && !IsSymbolic(baseFont) ? Encodings.Standard : Encodings.WinAnsi;
        var encoding = store.Resolve(dict.Get("Encoding"));
        PdfArray? differences = null;
        if (encoding is PdfName en) table = ByName(en.Value) ?? table;
        else if (encoding is PdfDictionary ed)
        {
            if (ed.GetName("BaseEncoding") is { } be) table = ByName(be) ?? table;
            differences = store.Resolve(ed.Get("Differences")) as PdfArray;
        }
        for (var i = 0; i < 256; i++) font._simple[i] = table[i] == 0 ? null : ((char)table[i]).ToString();
        if (differences is not null)
        {
            var code = 0;
            foreach (var item in differences.Items)
            {
                if (item is PdfNumber n) code = n.IntValue;
                else if (item is PdfName name && code is >= 0 and < 256)
                    font._simple[code++] = CMap.GlyphNameToUnicode(name.Value) ?? "";
            }
        }

        for (var i = 0; i < 256; i++) font._simpleWidths[i] = defaultWidth;
        var first = store.Resolve(dict.Get("FirstChar")) is PdfNumber fc ? fc.IntValue : 0;
        if (store.Resolve(dict.Get("Widths")) is PdfArray widths)
            for (var i = 0; i < widths.Count && first + i < 256; i++)
                if (first + i >= 0 && store.Resolve(widths[i]) is PdfNumber w) font._simpleWidths[first + i] = w.Value * font._widthScale;
        return font;
    }

    private static bool IsSymbolic(string baseFont) => baseFont.Contains("Symbol", StringComparison.Ordinal) || baseFont.Contains("Dingbats", StringComparison.Ordinal);

    private static ushort[]? ByName(string name) => name switch
    {
        "WinAnsiEncoding" => Encodings.WinAnsi,
        "MacRomanEncoding" => Encodings.MacRoman,
        "StandardEncoding" => Encodings.Standard,
        _ => null,
    };

    private static PdfFont LoadComposite(PdfObjectStore store, PdfDictionary dict, CMap? toUnicode)
    {
        // Identity-H/V and other predefined CMaps: 2-byte codes, code = CID (right for Identity, a fair guess otherwise).
        var encoding = store.Resolve(dict.Get("Encoding")) is PdfStream es ? LoadCMap(store, es) : null;
        var widths = new Dictionary<int, double>();
        double dw = 1000;
        if (store.Resolve(dict.Get("DescendantFonts")) is PdfArray { Count: > 0 } df && store.Resolve(df[0]) is PdfDictionary cidFont)
        {
            if (store.Resolve(cidFont.Get("DW")) is PdfNumber dwn) dw = dwn.Value;
            if (store.Resolve(cidFont.Get("W")) is PdfArray w) ReadCidWidths(store, w, widths);
        }
        return new PdfFont(true, toUnicode, encoding, widths, dw);
    }

    /// <summary>/W: "c [w1 w2 …]" or "cFirst cLast w" (ISO 32000-1 §9.7.4.3).</summary>
    private static void ReadCidWidths(PdfObjectStore store, PdfArray w, Dictionary<int, double> widths)
    {
        var i = 0;
        while (i < w.Count && widths.Count < 65536)
        {
            if (store.Resolve(w[i]) is not PdfNumber c) { i++; continue; }
            var next = i + 1 < w.Count ? store.Resolve(w[i + 1]) : null;
            if (next is PdfArray list)
            {
                for (var k = 0; k < list.Count && widths.Count < 65536; k++)
                    if (store.Resolve(list[k]) is PdfNumber wn) widths[c.IntValue + k] = wn.Value;
                i += 2;
            }
            else if (next is PdfNumber last && i + 2 < w.Count && store.Resolve(w[i + 2]) is PdfNumber wv)
            {
                for (var cid = c.IntValue; cid <= last.IntValue && cid - c.IntValue < 65536 && widths.Count < 65536; cid++) widths[cid] = wv.Value;
                i += 3;
            }
            else i++;
        }
    }

    private static CMap? LoadCMap(PdfObjectStore store, PdfObject? obj)
    {
        if (store.Resolve(obj) is not PdfStream s) return null;
        var decoded = store.Decode(s);
        if (decoded.Status is not (DecodeStatus.Ok or DecodeStatus.Corrupt)) return null;
        var cmap = CMap.Parse(decoded.Data, store.Options.MaxNestingDepth);
        return cmap.IsEmpty && !cmap.HasCodespace ? null : cmap;
    }

    /// <summary>Decodes a shown string into glyphs.</summary>
    public void Decode(ReadOnlySpan<byte> s, List<Glyph> glyphs)
    {
        var pos = 0;
        while (pos < s.Length)
        {
            if (IsComposite)
            {
                int len;
                uint code;
                if (_encoding is not null) len = _encoding.NextCode(s[pos..], 2, out code);
                else len = NextTwoByteCode(s[pos..], out code);
                var cid = _encoding?.LookupCid(code) ?? (int)code;
                var text = _toUnicode?.Lookup(len, code) ?? "";
                var width = _cidWidths is not null && _cidWidths.TryGetValue(cid, out var w) ? w : _defaultWidth;
                glyphs.Add(new Glyph(text, width, len == 1 && code == 32));
                pos += len;
            }
            else
            {
                var b = s[pos++];
                var text = _toUnicode?.Lookup(1, b) ?? _simple[b] ?? "";
                glyphs.Add(new Glyph(text, _simpleWidths[b], b == 32));
            }
        }
    }

    private static int NextTwoByteCode(ReadOnlySpan<byte> s, out uint code)
    {
        if (s.Length >= 2) { code = (uint)((s[0] << 8) | s[1]); return 2; }
        code = s[0];
        return 1;
    }
}
