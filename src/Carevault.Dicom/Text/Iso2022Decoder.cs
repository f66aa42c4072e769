using System.Text;

namespace Carevault.Dicom.Text;

/// <summary>
/// Best-effort ISO 2022 decoding for DICOM code extensions (PS3.3 §C.12.1.1.2, Table C.12-3/C.12-4; PS3.5 §6.1.2.5).
/// Supported designations: G0 = ASCII (ESC ( B), JIS X 0201 Romaji (ESC ( J, read as ASCII), JIS X 0208
/// (ESC $ B), JIS X 0212 (ESC $ ( D); G1 = JIS X 0201 Katakana (ESC ) I), KS X 1001 (ESC $ ) C), GB 2312
/// (ESC $ ) A) and the ISO 8859 upper halves (ESC - A … ESC - b). The state returns to the first term's
/// designations at each value and, as PS3.5 §6.1.2.5.3 requires of writers, at "^" and "=" in person names,
/// at "\\" and at control characters. Unknown escapes are dropped with the bytes they designate read as Latin-1.
/// </summary>
internal static class Iso2022Decoder
{
    private enum G0 { Ascii, JisX0208, JisX0212 }

    private enum G1 { None, Katakana, KsX1001, Gb2312, SingleByte }

    public static string Decode(ReadOnlySpan<byte> value, IReadOnlyList<string> terms, bool isPersonName)
    {
        var (initialG0, initialG1, initialSingle) = InitialState(terms.Count > 0 ? terms[0] : "");
        var g0 = initialG0;
        var g1 = initialG1;
        var single = initialSingle;
        var text = new StringBuilder(value.Length);
        var run = new List<byte>(16);
        var i = 0;
        while (i < value.Length)
        {
            var b = value[i];
            if (b == 0x1B)
            {
                var consumed = ReadEscape(value[i..], ref g0, ref g1, ref single);
                i += Math.Max(consumed, 1);
                continue;
            }

            if (b < 0x80)
            {
                if (g0 == G0.Ascii)
                {
                    if (IsResetDelimiter(b, isPersonName))
                    {
                        g0 = initialG0;
                        g1 = initialG1;
                        single = initialSingle;
                    }

                    text.Append((char)b);
                    i++;
                    continue;
                }

                // Two-byte G0 (JIS X 0208/0212): map to EUC-JP by setting the high bits.
                run.Clear();
                while (i + 1 < value.Length && value[i] is >= 0x21 and < 0x7F && value[i + 1] is >= 0x21 and < 0x7F)
                {
                    if (g0 == G0.JisX0212)
                    {
                        run.Add(0x8F);
                    }

                    run.Add((byte)(value[i] | 0x80));
                    run.Add((byte)(value[i + 1] | 0x80));
                    i += 2;
                }

                if (run.Count == 0)
                {
                    text.Append((char)value[i]); // stray single byte (e.g. a space) inside a two-byte run
                    i++;
                    continue;
                }

                text.Append(DicomCharacterSet.CodePage(51932).GetString([.. run]));
                continue;
            }

            switch (g1)
            {
                case G1.Katakana:
                    text.Append(b is >= 0xA1 and <= 0xDF ? (char)(0xFF61 + (b - 0xA1)) : '\uFFFD');
                    i++;
                    break;
                case G1.KsX1001:
                case G1.Gb2312:
                    run.Clear();
                    while (i < value.Length && value[i] >= 0x80)
                    {
                        run.Add(value[i++]);
                    }

                    text.Append(DicomCharacterSet.CodePage(g1 == G1.KsX1001 ? 949 : 936).GetString([.. run]));
                    break;
                default:
                    text.Append(single.GetString(value.Slice(i, 1)));
                    i++;
                    break;
            }
        }

        return text.ToString();
    }

    private static bool IsResetDelimiter(byte b, bool isPersonName) =>
        b is (byte)'\\' or 0x0D or 0x0A or 0x0C or 0x09 || (isPersonName && b is (byte)'^' or (byte)'=');

    private static (G0, G1, Encoding) InitialState(string firstTerm) => firstTerm switch
    {
        "ISO 2022 IR 13" or "ISO_IR 13" => (G0.Ascii, G1.Katakana, Encoding.Latin1),
        "ISO 2022 IR 149" => (G0.Ascii, G1.KsX1001, Encoding.Latin1),
        "ISO 2022 IR 58" => (G0.Ascii, G1.Gb2312, Encoding.Latin1),
        "ISO 2022 IR 87" => (G0.JisX0208, G1.None, Encoding.Latin1),
        _ => (G0.Ascii, G1.SingleByte, DicomCharacterSet.EncodingFor(firstTerm) ?? Encoding.Latin1),
    };

    /// <summary>Applies the escape sequence at the start of <paramref name="s"/>; returns its length.</summary>
    private static int ReadEscape(ReadOnlySpan<byte> s, ref G0 g0, ref G1 g1, ref Encoding single)
    {
        if (s.Length >= 3 && s[1] == (byte)'(' && s[2] is (byte)'B' or (byte)'J')
        {
            g0 = G0.Ascii;
            return 3;
        }

        if (s.Length >= 3 && s[1] == (byte)'$' && s[2] == (byte)'B')
        {
            g0 = G0.JisX0208;
            return 3;
        }

        if (s.Length >= 3 && s[1] == (byte)')' && s[2] == (byte)'I')
        {
            g1 = G1.Katakana;
            return 3;
        }

        if (s.Length >= 4 && s[1] == (byte)'$' && s[2] == (byte)'(' && s[3] == (byte)'D')
        {
            g0 = G0.JisX0212;
            return 4;
        }

        if (s.Length >= 4 && s[1] == (byte)'$' && s[2] == (byte)')' && s[3] is (byte)'C' or (byte)'A')
        {
            g1 = s[3] == (byte)'C' ? G1.KsX1001 : G1.Gb2312;
            return 4;
        }

        if (s.Length >= 3 && s[1] == (byte)'-')
        {
            var term = s[2] switch
            {
                (byte)'A' => "ISO_IR 100", (byte)'B' => "ISO_IR 101", (byte)'C' => "ISO_IR 109",
                (byte)'D' => "ISO_IR 110", (byte)'L' => "ISO_IR 144", (byte)'G' => "ISO_IR 127",
                (byte)'F' => "ISO_IR 126", (byte)'H' => "ISO_IR 138", (byte)'M' => "ISO_IR 148",
                (byte)'T' => "ISO_IR 166", (byte)'b' => "ISO_IR 203", _ => null,
            };
            if (term is not null)
            {
                g1 = G1.SingleByte;
                single = DicomCharacterSet.EncodingFor(term) ?? Encoding.Latin1;
                return 3;
            }
        }

        return 1; // unknown: drop the ESC byte only
    }
}
