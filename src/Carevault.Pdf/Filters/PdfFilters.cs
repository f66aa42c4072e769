using System.IO.Compression;

namespace Carevault.Pdf.Filters;

internal enum DecodeStatus
{
    Ok,
    /// <summary>A filter we recognise but do not decode (images: DCT, JBIG2, CCITT, JPX; Crypt).</summary>
    Unsupported,
    /// <summary>Data corrupt; <see cref="DecodeResult.Data"/> may hold what decoded before the damage.</summary>
    Corrupt,
    TooLarge,
}

internal readonly record struct DecodeResult(DecodeStatus Status, byte[] Data, string? Filter);

/// <summary>Stream filters (ISO 32000-1 §7.4). Output is capped at a byte limit to stop decompression bombs.</summary>
internal static class PdfFilters
{
    public static bool IsImageFilter(string name) => name is "DCTDecode" or "DCT" or "JBIG2Decode" or "CCITTFaxDecode" or "CCF" or "JPXDecode";

    public static DecodeResult Decode(PdfStream stream, Func<PdfObject?, PdfObject?> resolve, int limit)
    {
        var dict = stream.Dictionary;
        var filters = resolve(dict.Get("Filter") ?? dict.Get("F"));
        var parms = resolve(dict.Get("DecodeParms") ?? dict.Get("DP"));
        var data = stream.EncodedBytes.ToArray();
        if (data.Length > limit && filters is null) return new DecodeResult(DecodeStatus.TooLarge, [], null);
        switch (filters)
        {
            case null or PdfNull: return new DecodeResult(DecodeStatus.Ok, data, null);
            case PdfName single: return Apply(single.Value, data, resolve(parms) as PdfDictionary, limit, resolve);
            case PdfArray chain:
                if (chain.Count > 8) return new DecodeResult(DecodeStatus.Corrupt, [], null);
                for (var i = 0; i < chain.Count; i++)
                {
                    if (resolve(chain[i]) is not PdfName f) return new DecodeResult(DecodeStatus.Corrupt, [], null);
                    var p = parms is PdfArray pa && i < pa.Count ? resolve(pa[i]) as PdfDictionary : parms as PdfDictionary;
                    var r = Apply(f.Value, data, p, limit, resolve);
                    if (r.Status != DecodeStatus.Ok) return r;
                    data = r.Data;
                }
                return new DecodeResult(DecodeStatus.Ok, data, null);
            default: return new DecodeResult(DecodeStatus.Corrupt, [], null);
        }
    }

    private static DecodeResult Apply(string filter, byte[] data, PdfDictionary? parms, int limit, Func<PdfObject?, PdfObject?> resolve)
    {
        switch (filter)
        {
            case "FlateDecode" or "Fl":
            {
                var r = Inflate(data, limit);
                if (r.Status is DecodeStatus.TooLarge) return r;
                return parms is null ? r : r with { Data = Predictors.Apply(r.Data, parms, resolve, limit) ?? r.Data };
            }
            case "ASCIIHexDecode" or "AHx": return Ok(AsciiHex(data));
            case "ASCII85Decode" or "A85": return Ascii85(data);
            case "RunLengthDecode" or "RL": return RunLength(data, limit);
            case "LZWDecode" or "LZW":
            {
                var early = parms is not null && resolve(parms.Get("EarlyChange")) is PdfNumber e ? e.IntValue : 1;
                var r = Lzw.Decode(data, early != 0, limit);
                if (r.Status is DecodeStatus.TooLarge) return r;
                return parms is null ? r : r with { Data = Predictors.Apply(r.Data, parms, resolve, limit) ?? r.Data };
            }
            default:
                return new DecodeResult(DecodeStatus.Unsupported, [], filter);
        }
    }

    private static DecodeResult Ok(byte[] data) => new(DecodeStatus.Ok, data, null);

    /// <summary>zlib (RFC 1950); falls back to raw deflate and keeps whatever decoded before damage, as poppler does.</summary>
    internal static DecodeResult Inflate(byte[] data, int limit)
    {
        var (status, output) = InflateCore(data, 0, zlib: true, limit);
        if (status == DecodeStatus.Corrupt && output.Length == 0 && data.Length > 2)
        {
            var (s2, o2) = InflateCore(data, 2, zlib: false, limit); // bad header or checksum: try the raw deflate body
            if (o2.Length > 0 || s2 == DecodeStatus.TooLarge) return new DecodeResult(s2, o2, "FlateDecode");
        }
        return new DecodeResult(status, output, "FlateDecode");
    }

    private static (DecodeStatus, byte[]) InflateCore(byte[] data, int offset, bool zlib, int limit)
    {
        using var input = new MemoryStream(data, offset, data.Length - offset, writable: false);
        using Stream z = zlib ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var n = z.Read(buffer, 0, buffer.Length);
                if (n == 0) break;
                if (output.Length + n > limit) return (DecodeStatus.TooLarge, []);
                output.Write(buffer, 0, n);
            }
        }
        catch (InvalidDataException)
        {
            return (DecodeStatus.Corrupt, output.ToArray());
        }
        return (DecodeStatus.Ok, output.ToArray());
    }

    internal static byte[] AsciiHex(ReadOnlySpan<byte> data)
    {
        var output = new byte[(data.Length / 2) + 1];
        var n = 0;
        var high = -1;
        foreach (var c in data)
        {
            if (c == '>') break; // EOD
            var v = Parsing.PdfSyntaxReader.HexValue(c);
            if (v < 0) continue;
            if (high < 0) high = v;
            else { output[n++] = (byte)((high << 4) | v); high = -1; }
        }
        if (high >= 0) output[n++] = (byte)(high << 4);
        return output[..n];
    }

    internal static DecodeResult Ascii85(ReadOnlySpan<byte> data)
    {
        var output = new byte[((data.Length / 5) + 2) * 4];
        var n = 0;
        uint tuple = 0;
        var count = 0;
        var i = 0;
        if (data.StartsWith("<~"u8)) i = 2;
        for (; i < data.Length; i++)
        {
            var c = data[i];
            if (c == '~') break; // EOD "~>"
            if (Parsing.PdfSyntaxReader.IsWhitespace(c)) continue;
            if (c == 'z' && count == 0)
            {
                if (n + 4 > output.Length) Array.Resize(ref output, output.Length * 2);
                n += 4; // four zero bytes; array is zeroed
                continue;
            }
            if (c is < (byte)'!' or > (byte)'u') return new DecodeResult(DecodeStatus.Corrupt, output[..n], "ASCII85Decode");
            tuple = unchecked((tuple * 85) + (uint)(c - '!'));
            if (++count == 5)
            {
                if (n + 4 > output.Length) Array.Resize(ref output, output.Length * 2);
                output[n++] = (byte)(tuple >> 24);
                output[n++] = (byte)(tuple >> 16);
                output[n++] = (byte)(tuple >> 8);
                output[n++] = (byte)tuple;
                tuple = 0;
                count = 0;
            }
        }
        if (count > 1)
        {
            // A final partial group of k characters is padded with 'u' and yields k-1 bytes (§7.4.3).
            for (var k = count; k < 5; k++) tuple = unchecked((tuple * 85) + 84);
            if (n + 4 > output.Length) Array.Resize(ref output, output.Length + 4);
            for (var k = 0; k < count - 1; k++) output[n++] = (byte)(tuple >> (24 - (8 * k)));
        }
        return new DecodeResult(DecodeStatus.Ok, output[..n], null);
    }

    private static DecodeResult RunLength(ReadOnlySpan<byte> data, int limit)
    {
        using var output = new MemoryStream();
        var i = 0;
        while (i < data.Length)
        {
            var len = data[i++];
            if (len == 128) break;
            if (len < 128)
            {
                var take = Math.Min(len + 1, data.Length - i);
                output.Write(data.Slice(i, take));
                i += take;
            }
            else if (i < data.Length)
            {
                var b = data[i++];
                for (var k = 0; k < 257 - len; k++) output.WriteByte(b);
            }
            if (output.Length > limit) return new DecodeResult(DecodeStatus.TooLarge, [], "RunLengthDecode");
        }
        return new DecodeResult(DecodeStatus.Ok, output.ToArray(), null);
    }
}
