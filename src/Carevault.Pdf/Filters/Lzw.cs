namespace Carevault.Pdf.Filters;

/// <summary>LZW (ISO 32000-1 §7.4.4.2): 9–12-bit codes, 256 = clear, 257 = end of data.</summary>
internal static class Lzw
{
    public static DecodeResult Decode(ReadOnlySpan<byte> data, bool earlyChange, int limit)
    {
        var prefix = new int[4096];
        var suffix = new byte[4096];
        var length = new int[4096];
        for (var i = 0; i < 256; i++) { prefix[i] = -1; suffix[i] = (byte)i; length[i] = 1; }
        var next = 258;
        var width = 9;
        var previous = -1;
        using var output = new MemoryStream();
        var scratch = new byte[4096];
        long bits = 0;
        var bitCount = 0;
        var pos = 0;
        while (true)
        {
            while (bitCount < width && pos < data.Length) { bits = (bits << 8) | data[pos++]; bitCount += 8; }
            if (bitCount < width) break;
            var code = (int)((bits >> (bitCount - width)) & ((1 << width) - 1));
            bitCount -= width;
            if (code == 256) { next = 258; width = 9; previous = -1; continue; }
            if (code == 257) break;
            int entry;
            if (code < next) entry = code;
            else if (code == next && previous >= 0) entry = previous; // KwKwK case, finished below
            else return new DecodeResult(DecodeStatus.Corrupt, output.ToArray(), "LZWDecode");
            var n = length[entry];
            for (int c = entry, k = n - 1; k >= 0; c = prefix[c], k--) scratch[k] = suffix[c];
            var first = scratch[0];
            output.Write(scratch, 0, n);
            if (code == next) output.WriteByte(first);
            if (previous >= 0 && next < 4096)
            {
                prefix[next] = previous;
                suffix[next] = code == next ? scratch[0] : first;
                length[next] = length[previous] + 1;
                next++;
            }
            previous = code;
            var threshold = earlyChange ? next + 1 : next;
            width = threshold >= 2048 ? 12 : threshold >= 1024 ? 11 : threshold >= 512 ? 10 : 9;
            if (output.Length > limit) return new DecodeResult(DecodeStatus.TooLarge, [], "LZWDecode");
        }
        return new DecodeResult(DecodeStatus.Ok, output.ToArray(), null);
    }
}
