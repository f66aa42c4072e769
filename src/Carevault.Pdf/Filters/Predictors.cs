namespace Carevault.Pdf.Filters;

/// <summary>TIFF predictor 2 and PNG predictors 10–15 (ISO 32000-1 §7.4.4.4; PNG spec §6 filter types 0–4).</summary>
internal static class Predictors
{
    public static byte[]? Apply(byte[] data, PdfDictionary parms, Func<PdfObject?, PdfObject?> resolve, int limit)
    {
        var predictor = Int(parms, "Predictor", 1, resolve);
        if (predictor <= 1) return data;
        var colors = Math.Clamp(Int(parms, "Colors", 1, resolve), 1, 32);
        var bpc = Int(parms, "BitsPerComponent", 8, resolve);
        if (bpc is not (1 or 2 or 4 or 8 or 16)) return null;
        var columns = Int(parms, "Columns", 1, resolve);
        if (columns < 1 || columns > 1 << 24) return null;
        var bytesPerPixel = Math.Max(1, ((colors * bpc) + 7) / 8);
        var rowLength = (int)Math.Min(((long)colors * bpc * columns + 7) / 8, int.MaxValue / 2);
        if (rowLength <= 0) return null;
        return predictor == 2 ? Tiff(data, rowLength, bytesPerPixel, bpc) : Png(data, rowLength, bytesPerPixel, limit);
    }

    private static int Int(PdfDictionary d, string key, int fallback, Func<PdfObject?, PdfObject?> resolve) =>
        resolve(d.Get(key)) is PdfNumber n ? n.IntValue : fallback;

    private static byte[] Tiff(byte[] data, int rowLength, int bpp, int bpc)
    {
        if (bpc != 8) return data; // sub-byte TIFF prediction only occurs in images, which we never decode
        var output = (byte[])data.Clone();
        for (var row = 0; row + rowLength <= output.Length; row += rowLength)
            for (var i = bpp; i < rowLength; i++)
                output[row + i] = unchecked((byte)(output[row + i] + output[row + i - bpp]));
        return output;
    }

    private static byte[] Png(byte[] data, int rowLength, int bpp, int limit)
    {
        var rows = data.Length / (rowLength + 1);
        if ((long)rows * rowLength > limit) return [];
        var output = new byte[rows * rowLength];
        var prior = new byte[rowLength];
        for (var r = 0; r < rows; r++)
        {
            var src = r * (rowLength + 1);
            var type = data[src];
            var line = output.AsSpan(r * rowLength, rowLength);
            data.AsSpan(src + 1, rowLength).CopyTo(line);
            for (var i = 0; i < rowLength; i++)
            {
                int left = i >= bpp ? line[i - bpp] : 0;
                int up = prior[i];
                int upLeft = i >= bpp ? prior[i - bpp] : 0;
                line[i] = type switch
                {
                    1 => unchecked((byte)(line[i] + left)),
                    2 => unchecked((byte)(line[i] + up)),
                    3 => unchecked((byte)(line[i] + ((left + up) >> 1))),
                    4 => unchecked((byte)(line[i] + Paeth(left, up, upLeft))),
                    _ => line[i],
                };
            }
            line.CopyTo(prior);
        }
        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
