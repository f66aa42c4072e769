using System.IO.Compression;
using System.Text;

namespace Carevault.Pdf.Tests;

/// <summary>Hand-builds small PDFs with correct offsets: classic xref tables, xref streams, object streams, updates.</summary>
internal sealed class PdfBuilder
{
    private readonly List<(int Number, byte[] Body)> _objects = [];
    private readonly HashSet<int> _compressed = [];

    public long LastXrefOffset { get; private set; }

    public PdfBuilder Add(int number, string body)
    {
        _objects.Add((number, Latin1(body)));
        return this;
    }

    /// <summary>A stream; <paramref name="dictEntries"/> go inside the dictionary, /Length is added.</summary>
    public PdfBuilder AddStream(int number, string dictEntries, byte[] data)
    {
        var body = new MemoryStream();
        body.Write(Latin1($"<< {dictEntries} /Length {data.Length} >>\nstream\n"));
        body.Write(data);
        body.Write("\nendstream"u8);
        _objects.Add((number, body.ToArray()));
        return this;
    }

    /// <summary>Marks objects to be stored in an object stream by <see cref="BuildWithXrefStream"/>.</summary>
    public PdfBuilder Compress(params int[] numbers)
    {
        foreach (var n in numbers) _compressed.Add(n);
        return this;
    }

    public static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    public static byte[] Deflate(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    public static byte[] Deflate(string s) => Deflate(Latin1(s));

    public byte[] BuildWithXrefTable(string trailerEntries, string version = "1.7")
    {
        var ms = new MemoryStream();
        ms.Write(Latin1($"%PDF-{version}\n%\u00e2\u00e3\u00cf\u00d3\n"));
        var offsets = WriteObjects(ms, _objects);
        var size = offsets.Keys.DefaultIfEmpty(0).Max() + 1;
        LastXrefOffset = ms.Position;
        var sb = new StringBuilder($"xref\n0 {size}\n0000000000 65535 f \n");
        for (var i = 1; i < size; i++)
            sb.Append(offsets.TryGetValue(i, out var o) ? $"{o:D10} 00000 n \n" : "0000000000 00000 f \n");
        sb.Append($"trailer\n<< /Size {size} {trailerEntries} >>\nstartxref\n{LastXrefOffset}\n%%EOF\n");
        ms.Write(Latin1(sb.ToString()));
        return ms.ToArray();
    }

    /// <summary>Appends an incremental update (ISO 32000-1 §7.5.6) holding this builder's objects to <paramref name="original"/>.</summary>
    public byte[] AppendUpdate(byte[] original, long previousXref, string trailerEntries, int size)
    {
        var ms = new MemoryStream();
        ms.Write(original);
        var offsets = WriteObjects(ms, _objects);
        LastXrefOffset = ms.Position;
        var sb = new StringBuilder("xref\n");
        foreach (var (n, o) in offsets.OrderBy(kv => kv.Key))
            sb.Append($"{n} 1\n{o:D10} 00000 n \n");
        sb.Append($"trailer\n<< /Size {size} /Prev {previousXref} {trailerEntries} >>\nstartxref\n{LastXrefOffset}\n%%EOF\n");
        ms.Write(Latin1(sb.ToString()));
        return ms.ToArray();
    }

    /// <summary>PDF 1.5 layout: compressed objects in one object stream, a FlateDecode xref stream with the PNG Up predictor.</summary>
    public byte[] BuildWithXrefStream(string trailerEntries, int objectStreamNumber, int xrefStreamNumber)
    {
        var ms = new MemoryStream();
        ms.Write(Latin1("%PDF-1.5\n%\u00e2\u00e3\u00cf\u00d3\n"));
        var direct = _objects.Where(o => !_compressed.Contains(o.Number)).ToList();
        var packed = _objects.Where(o => _compressed.Contains(o.Number)).ToList();
        var offsets = WriteObjects(ms, direct);
        var index = new Dictionary<int, int>();
        if (packed.Count > 0)
        {
            var header = new StringBuilder();
            var bodies = new MemoryStream();
            for (var i = 0; i < packed.Count; i++)
            {
                header.Append($"{packed[i].Number} {bodies.Position} ");
                bodies.Write(packed[i].Body);
                bodies.WriteByte((byte)'\n');
                index[packed[i].Number] = i;
            }
            var first = Encoding.ASCII.GetByteCount(header.ToString());
            var raw = Latin1(header.ToString()).Concat(bodies.ToArray()).ToArray();
            var compressed = Deflate(raw);
            offsets[objectStreamNumber] = ms.Position;
            ms.Write(Latin1($"{objectStreamNumber} 0 obj\n<< /Type /ObjStm /N {packed.Count} /First {first} /Filter /FlateDecode /Length {compressed.Length} >>\nstream\n"));
            ms.Write(compressed);
            ms.Write("\nendstream\nendobj\n"u8);
        }
        var xrefOffset = ms.Position;
        offsets[xrefStreamNumber] = xrefOffset;
        var size = Math.Max(offsets.Keys.Max(), packed.Select(p => p.Number).DefaultIfEmpty(0).Max()) + 1;
        // Rows of W [1 4 2], each prefixed with PNG filter type 2 (Up) over the previous row.
        const int rowLength = 7;
        var rows = new byte[size * rowLength];
        for (var n = 0; n < size; n++)
        {
            var row = rows.AsSpan(n * rowLength, rowLength);
            if (index.TryGetValue(n, out var idx)) { row[0] = 2; Put(row[1..5], objectStreamNumber); Put(row[5..7], idx); }
            else if (offsets.TryGetValue(n, out var off)) { row[0] = 1; Put(row[1..5], off); }
            else { row[0] = 0; Put(row[5..7], n == 0 ? 65535 : 0); }
        }
        var predicted = new byte[size * (rowLength + 1)];
        for (var r = 0; r < size; r++)
        {
            predicted[r * (rowLength + 1)] = 2;
            for (var i = 0; i < rowLength; i++)
            {
                var up = r == 0 ? 0 : rows[((r - 1) * rowLength) + i];
                predicted[(r * (rowLength + 1)) + 1 + i] = unchecked((byte)(rows[(r * rowLength) + i] - up));
            }
        }
        var xrefData = Deflate(predicted);
        ms.Write(Latin1($"{xrefStreamNumber} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns {rowLength} >> {trailerEntries} /Length {xrefData.Length} >>\nstream\n"));
        ms.Write(xrefData);
        ms.Write(Latin1($"\nendstream\nendobj\nstartxref\n{xrefOffset}\n%%EOF\n"));
        LastXrefOffset = xrefOffset;
        return ms.ToArray();
    }

    private static void Put(Span<byte> field, long value)
    {
        for (var i = field.Length - 1; i >= 0; i--, value >>= 8) field[i] = (byte)value;
    }

    private static Dictionary<int, long> WriteObjects(MemoryStream ms, List<(int Number, byte[] Body)> objects)
    {
        var offsets = new Dictionary<int, long>();
        foreach (var (number, body) in objects)
        {
            offsets[number] = ms.Position;
            ms.Write(Latin1($"{number} 0 obj\n"));
            ms.Write(body);
            ms.Write("\nendobj\n"u8);
        }
        return offsets;
    }

    /// <summary>A one-page document: catalog 1, pages 2, page 3, font 4 (Helvetica, WinAnsi), content 5.</summary>
    public static PdfBuilder SimplePage(string content, string catalogExtra = "", string fontBody = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    {
        return new PdfBuilder()
            .Add(1, $"<< /Type /Catalog /Pages 2 0 R {catalogExtra} >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
            .Add(4, fontBody)
            .AddStream(5, "", Latin1(content));
    }
}
