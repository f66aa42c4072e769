using System.Buffers;
using System.Text;


namespace Carevault.Hl7v2;

/// <summary>
/// HL7 v2.5.1 §2.7 escape sequences. Reading: \F\ \S\ \T\ \R\ \E\ (and \P\, v2.7 truncation) become the delimiter,
/// \Xhh..\ becomes the bytes it spells (then decoded with the message charset), \.br\ and \.sp\ become a line feed,
/// \H\ and \N\ (highlight on/off, a presentation hint) are dropped; anything else — \Cxxyy\, \Mxxyyzz\, \Zxx\,
/// other formatting commands, an unterminated escape — is kept exactly as written so no information is lost.
/// </summary>
public static class Hl7Escaping
{
    /// <summary>Decodes and unescapes one leaf value (a component or sub-component, or a whole field).</summary>
    public static string Unescape(ReadOnlySpan<byte> raw, in Hl7Delimiters delimiters, Encoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        int first = raw.IndexOf(delimiters.Escape);
        return first < 0 ? encoding.GetString(raw) : UnescapeSlow(raw, first, delimiters, encoding);
    }

    private static string UnescapeSlow(ReadOnlySpan<byte> raw, int first, in Hl7Delimiters d, Encoding encoding)
    {
        // Every escape sequence is at least as long as what it stands for, so the output fits in raw.Length.
        byte[] rented = ArrayPool<byte>.Shared.Rent(raw.Length);
        try
        {
            Span<byte> output = rented;
            raw[..first].CopyTo(output);
            int written = first;
            int i = first;
            while (i < raw.Length)
            {
                byte b = raw[i];
                if (b != d.Escape)
                {
                    output[written++] = b;
                    i++;
                    continue;
                }

                int close = raw[(i + 1)..].IndexOf(d.Escape);
                if (close < 0)
                {
                    // Unterminated: keep the rest as written.
                    raw[i..].CopyTo(output[written..]);
                    written += raw.Length - i;
                    break;
                }

                ReadOnlySpan<byte> sequence = raw.Slice(i + 1, close);
                written += Replace(sequence, raw.Slice(i, close + 2), d, output[written..]);
                i += close + 2;
            }

            return encoding.GetString(output[..written]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    private static int Replace(ReadOnlySpan<byte> sequence, ReadOnlySpan<byte> whole, in Hl7Delimiters d, Span<byte> output)
    {
        if (sequence.Length == 1)
        {
            byte? single = sequence[0] switch
            {
                (byte)'F' => d.Field,
                (byte)'S' => d.Component,
                (byte)'T' => d.SubComponent,
                (byte)'R' => d.Repetition,
                (byte)'E' => d.Escape,
                (byte)'P' when d.Truncation is { } t => t,
                (byte)'H' or (byte)'N' => 0,
                _ => null,
            };

            if (single is { } value)
            {
                if (value == 0)
                {
                    return 0;
                }

                output[0] = value;
                return 1;
            }
        }
        else if (sequence.SequenceEqual(".br"u8) || sequence.SequenceEqual(".sp"u8))
        {
            output[0] = (byte)'\n';
            return 1;
        }
        else if (sequence.Length >= 3 && sequence[0] == (byte)'X' && (sequence.Length & 1) == 1 && TryHex(sequence[1..], output, out int count))
        {
            return count;
        }

        whole.CopyTo(output);
        return whole.Length;
    }

    private static bool TryHex(ReadOnlySpan<byte> hex, Span<byte> output, out int count)
    {
        count = hex.Length / 2;
        for (int k = 0; k < count; k++)
        {
            int hi = HexValue(hex[2 * k]);
            int lo = HexValue(hex[(2 * k) + 1]);
            if (hi < 0 || lo < 0)
            {
                return false;
            }

            output[k] = (byte)((hi << 4) | lo);
        }

        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// Escapes <paramref name="value"/> for writing into a message with <paramref name="delimiters"/>: each delimiter
    /// becomes its escape sequence and CR/LF become \.br\ (HL7 v2.5.1 §2.7.1; a raw CR would end the segment).
    /// </summary>
    public static string Escape(string value, in Hl7Delimiters delimiters)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 8);
        char esc = (char)delimiters.Escape;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            string? replacement =
                c == (char)delimiters.Field ? "F"
                : c == (char)delimiters.Component ? "S"
                : c == (char)delimiters.SubComponent ? "T"
                : c == (char)delimiters.Repetition ? "R"
                : c == esc ? "E"
                : delimiters.Truncation is { } t && c == (char)t ? "P"
                : c == '\r' || c == '\n' ? ".br"
                : null;

            if (replacement is null)
            {
                builder.Append(c);
                continue;
            }

            if (c == '\r' && i + 1 < value.Length && value[i + 1] == '\n')
            {
                i++;
            }

            builder.Append(esc).Append(replacement).Append(esc);
        }

        return builder.ToString();
    }
}
