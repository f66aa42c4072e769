using Carevault.Pdf.Filters;
using Carevault.Pdf.Parsing;

namespace Carevault.Pdf.Text;

/// <summary>
/// Runs the text-related part of content streams (ISO 32000-1 §9.4: BT/ET, Td/TD/Tm/T*, Tj/TJ/'/", Tf, Tc/Tw/Tz/TL/Ts,
/// with q/Q/cm and form XObjects via Do), collects positioned runs, then orders them into lines.
/// </summary>
internal sealed class PdfTextExtractor
{
    private readonly PdfObjectStore _store;
    private readonly Dictionary<PdfObject, PdfFont> _fonts = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<int, PdfFont> _fontsByNumber = [];
    private readonly List<string> _warnings = [];
    private readonly List<Glyph> _glyphs = [];

    private PdfTextExtractor(PdfObjectStore store) => _store = store;

    public static PdfText Extract(PdfObjectStore store, List<PageNode> pages)
    {
        var extractor = new PdfTextExtractor(store);
        var texts = new List<string>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var runs = new List<TextRun>();
            extractor.RunPage(pages[i], i + 1, runs);
            texts.Add(LineAssembler.Assemble(runs));
        }
        return new PdfText(texts, extractor._warnings);
    }

    private void RunPage(PageNode page, int pageNumber, List<TextRun> runs)
    {
        var contents = _store.Resolve(page.Page.Get("Contents"));
        var resources = _store.Resolve(page.Resources) as PdfDictionary;
        var streams = new List<PdfStream>();
        if (contents is PdfStream single) streams.Add(single);
        else if (contents is PdfArray array)
            foreach (var item in array.Items)
                if (_store.Resolve(item) is PdfStream s) streams.Add(s);
        // Content arrays are one stream split anywhere, even mid-token (§7.8.2): decode all, then join with a space.
        using var joined = new MemoryStream();
        foreach (var s in streams)
        {
            var decoded = _store.Decode(s);
            if (decoded.Status == DecodeStatus.Unsupported)
                _warnings.Add($"page {pageNumber}: content stream uses unsupported filter {decoded.Filter}");
            else if (decoded.Status == DecodeStatus.Corrupt)
                _warnings.Add($"page {pageNumber}: content stream is damaged; text may be incomplete");
            joined.Write(decoded.Data);
            joined.WriteByte((byte)'\n');
        }
        var state = new GraphicsState { Ctm = Matrix.Identity };
        Interpret(joined.GetBuffer().AsSpan(0, (int)joined.Length), resources, state, runs, 0, new HashSet<PdfStream>(ReferenceEqualityComparer.Instance));
    }

    private sealed class GraphicsState
    {
        public Matrix Ctm;
        public PdfFont? Font;
        public double FontSize = 1, CharSpacing, WordSpacing, HorizontalScale = 1, Leading, Rise;
        public GraphicsState Clone() => (GraphicsState)MemberwiseClone();
    }

    private void Interpret(ReadOnlySpan<byte> content, PdfDictionary? resources, GraphicsState gs, List<TextRun> runs, int depth, HashSet<PdfStream> active)
    {
        var reader = new PdfSyntaxReader(content, 0, _store.Options.MaxNestingDepth);
        var operands = new List<PdfObject>(8);
        var stack = new Stack<GraphicsState>();
        var tm = Matrix.Identity;
        var tlm = Matrix.Identity;
        while (!reader.AtEnd)
        {
            var obj = reader.ReadObjectOrKeyword(out var op);
            if (obj is not null)
            {
                if (operands.Count < 64) operands.Add(obj);
                continue;
            }
            if (op.IsEmpty) break;
            switch (op.Length)
            {
                case 1:
                    switch (op[0])
                    {
                        case (byte)'q':
                            if (stack.Count < 256) stack.Push(gs.Clone());
                            break;
                        case (byte)'Q':
                            if (stack.Count > 0) gs = stack.Pop();
                            break;
                        case (byte)'\'':
                            tlm = Matrix.Translate(0, -gs.Leading).Multiply(tlm);
                            tm = tlm;
                            if (operands.Count >= 1 && operands[^1] is PdfString s1) Show(s1, gs, ref tm, runs);
                            break;
                        case (byte)'"':
                            if (operands.Count >= 3)
                            {
                                gs.WordSpacing = Num(operands[^3]);
                                gs.CharSpacing = Num(operands[^2]);
                            }
                            tlm = Matrix.Translate(0, -gs.Leading).Multiply(tlm);
                            tm = tlm;
                            if (operands.Count >= 1 && operands[^1] is PdfString s2) Show(s2, gs, ref tm, runs);
                            break;
                    }
                    break;
                case 2:
                    var a = op[0];
                    var b = op[1];
                    if (a == 'B' && b == 'T') { tm = tlm = Matrix.Identity; }
                    else if (a == 'T')
                    {
                        switch (b)
                        {
                            case (byte)'d' or (byte)'D':
                                if (operands.Count >= 2)
                                {
                                    var ty = Num(operands[^1]);
                                    if (b == 'D') gs.Leading = -ty;
                                    tlm = Matrix.Translate(Num(operands[^2]), ty).Multiply(tlm);
                                    tm = tlm;
                                }
                                break;
                            case (byte)'m':
                                if (operands.Count >= 6)
                                {
                                    tlm = new Matrix(Num(operands[^6]), Num(operands[^5]), Num(operands[^4]), Num(operands[^3]), Num(operands[^2]), Num(operands[^1]));
                                    tm = tlm;
                                }
                                break;
                            case (byte)'*':
                                tlm = Matrix.Translate(0, -gs.Leading).Multiply(tlm);
                                tm = tlm;
                                break;
                            case (byte)'f':
                                if (operands.Count >= 2)
                                {
                                    gs.FontSize = Num(operands[^1]);
                                    gs.Font = operands[^2] is PdfName fn ? GetFont(resources, fn.Value) : null;
                                }
                                break;
                            case (byte)'j':
                                if (operands.Count >= 1 && operands[^1] is PdfString s) Show(s, gs, ref tm, runs);
                                break;
                            case (byte)'J':
                                if (operands.Count >= 1 && operands[^1] is PdfArray arr) ShowArray(arr, gs, ref tm, runs);
                                break;
                            case (byte)'c': if (operands.Count >= 1) gs.CharSpacing = Num(operands[^1]); break;
                            case (byte)'w': if (operands.Count >= 1) gs.WordSpacing = Num(operands[^1]); break;
                            case (byte)'z': if (operands.Count >= 1) gs.HorizontalScale = Num(operands[^1]) / 100; break;
                            case (byte)'L': if (operands.Count >= 1) gs.Leading = Num(operands[^1]); break;
                            case (byte)'s': if (operands.Count >= 1) gs.Rise = Num(operands[^1]); break;
                        }
                    }
                    else if (a == 'c' && b == 'm' && operands.Count >= 6)
                    {
                        var m = new Matrix(Num(operands[^6]), Num(operands[^5]), Num(operands[^4]), Num(operands[^3]), Num(operands[^2]), Num(operands[^1]));
                        gs.Ctm = m.Multiply(gs.Ctm);
                    }
                    else if (a == 'D' && b == 'o' && operands.Count >= 1 && operands[^1] is PdfName xname)
                    {
                        RunForm(resources, xname.Value, gs, runs, depth, active);
                    }
                    else if (a == 'B' && b == 'I')
                    {
                        SkipInlineImage(ref reader);
                    }
                    break;
            }
            operands.Clear();
        }
    }

    /// <summary>Inline image (§8.9.7): skip the key/value pairs, then the binary data up to "EI" between whitespace.</summary>
    private static void SkipInlineImage(ref PdfSyntaxReader reader)
    {
        while (!reader.AtEnd)
        {
            var obj = reader.ReadObjectOrKeyword(out var kw);
            if (obj is null && (kw.IsEmpty || kw.SequenceEqual("ID"u8))) break;
        }
        var data = reader.Data;
        var pos = reader.Position + 1;
        while (pos < data.Length)
        {
            var at = data[pos..].IndexOf("EI"u8);
            if (at < 0) { pos = data.Length; break; }
            pos += at;
            var before = pos == 0 || PdfSyntaxReader.IsWhitespace(data[pos - 1]);
            var after = pos + 2 >= data.Length || PdfSyntaxReader.IsWhitespace(data[pos + 2]);
            pos += 2;
            if (before && after) break;
        }
        reader.Position = Math.Min(pos, data.Length);
    }

    private void RunForm(PdfDictionary? resources, string name, GraphicsState gs, List<TextRun> runs, int depth, HashSet<PdfStream> active)
    {
        if (resources is null || _store.Resolve(resources.Get("XObject")) is not PdfDictionary xobjects) return;
        if (_store.Resolve(xobjects.Get(name)) is not PdfStream form || form.Dictionary.GetName("Subtype") != "Form") return;
        if (depth >= _store.Options.MaxNestingDepth || depth >= 16 || !active.Add(form)) return; // recursion guard
        try
        {
            var decoded = _store.Decode(form);
            if (decoded.Status is not (DecodeStatus.Ok or DecodeStatus.Corrupt)) return;
            var inner = gs.Clone();
            if (_store.Resolve(form.Dictionary.Get("Matrix")) is PdfArray { Count: 6 } m)
                inner.Ctm = new Matrix(Num(_store.Resolve(m[0])), Num(_store.Resolve(m[1])), Num(_store.Resolve(m[2])),
                    Num(_store.Resolve(m[3])), Num(_store.Resolve(m[4])), Num(_store.Resolve(m[5]))).Multiply(gs.Ctm);
            var formResources = _store.Resolve(form.Dictionary.Get("Resources")) as PdfDictionary ?? resources;
            Interpret(decoded.Data, formResources, inner, runs, depth + 1, active);
        }
        finally
        {
            active.Remove(form);
        }
    }

    private PdfFont GetFont(PdfDictionary? resources, string name)
    {
        if (resources is null || _store.Resolve(resources.Get("Font")) is not PdfDictionary fonts) return PdfFont.Fallback();
        var entry = fonts.Get(name);
        if (entry is PdfReference r && _fontsByNumber.TryGetValue(r.ObjectNumber, out var byNumber)) return byNumber;
        if (_store.Resolve(entry) is not PdfDictionary dict) return PdfFont.Fallback();
        if (_fonts.TryGetValue(dict, out var cached)) return cached;
        var font = PdfFont.Load(_store, dict);
        _fonts[dict] = font;
        if (entry is PdfReference rr) _fontsByNumber[rr.ObjectNumber] = font;
        return font;
    }

    private void ShowArray(PdfArray array, GraphicsState gs, ref Matrix tm, List<TextRun> runs)
    {
        foreach (var item in array.Items)
        {
            if (item is PdfString s) Show(s, gs, ref tm, runs);
            else if (item is PdfNumber n)
                tm = Matrix.Translate(-n.Value / 1000 * gs.FontSize * gs.HorizontalScale, 0).Multiply(tm);
        }
    }

    private void Show(PdfString s, GraphicsState gs, ref Matrix tm, List<TextRun> runs)
    {
        var font = gs.Font ?? PdfFont.Fallback();
        _glyphs.Clear();
        font.Decode(s.RawBytes, _glyphs);
        var trm = tm.Multiply(gs.Ctm);
        var (x0, y0) = trm.Apply(0, gs.Rise);
        var size = Math.Abs(gs.FontSize) * Math.Sqrt((trm.C * trm.C) + (trm.D * trm.D));
        var text = new System.Text.StringBuilder();
        foreach (var g in _glyphs)
        {
            text.Append(g.Text);
            var advance = ((g.Width / 1000 * gs.FontSize) + gs.CharSpacing + (g.IsWordSpace ? gs.WordSpacing : 0)) * gs.HorizontalScale;
            tm = Matrix.Translate(advance, 0).Multiply(tm);
        }
        var (x1, _) = tm.Multiply(gs.Ctm).Apply(0, gs.Rise);
        if (text.Length > 0 && runs.Count < 1_000_000)
            runs.Add(new TextRun(text.ToString(), x0, x1, y0, size <= 0 || double.IsNaN(size) ? 1 : size));
    }

    private static double Num(PdfObject o)
    {
        var v = o is PdfNumber n ? n.Value : 0;
        return double.IsFinite(v) ? v : 0;
    }
}

/// <summary>Affine matrix [a b c d e f] (ISO 32000-1 §8.3.4), row-vector convention.</summary>
internal readonly record struct Matrix(double A, double B, double C, double D, double E, double F)
{
    public static readonly Matrix Identity = new(1, 0, 0, 1, 0, 0);
    public static Matrix Translate(double x, double y) => new(1, 0, 0, 1, x, y);

    public Matrix Multiply(Matrix m) => new(
        (A * m.A) + (B * m.C), (A * m.B) + (B * m.D),
        (C * m.A) + (D * m.C), (C * m.B) + (D * m.D),
        (E * m.A) + (F * m.C) + m.E, (E * m.B) + (F * m.D) + m.F);

    public (double X, double Y) Apply(double x, double y) => ((x * A) + (y * C) + E, (x * B) + (y * D) + F);
}
