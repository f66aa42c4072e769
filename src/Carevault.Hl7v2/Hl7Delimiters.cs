namespace Carevault.Hl7v2;

/// <summary>
/// The separators of one message, read from MSH-1 and MSH-2 (HL7 v2.5.1 §2.5.4; v2.7 §2.5.5.4 adds the 5th,
/// truncation character). Any byte is accepted as long as the set is distinct and free of CR, LF, letters and digits.
/// </summary>
public readonly record struct Hl7Delimiters
{
    /// <summary>The HL7 defaults <c>|^~\&amp;</c>.</summary>
    public static Hl7Delimiters Default { get; } = new((byte)'|', (byte)'^', (byte)'~', (byte)'\\', (byte)'&', null);

    /// <summary>Creates a set of delimiters.</summary>
    public Hl7Delimiters(byte field, byte component, byte repetition, byte escape, byte subComponent, byte? truncation)
    {
        Field = field;
        Component = component;
        Repetition = repetition;
        Escape = escape;
        SubComponent = subComponent;
        Truncation = truncation;
    }

    /// <summary>MSH-1.</summary>
    public byte Field { get; }

    /// <summary>MSH-2, 1st character.</summary>
    public byte Component { get; }

    /// <summary>MSH-2, 2nd character.</summary>
    public byte Repetition { get; }

    /// <summary>MSH-2, 3rd character.</summary>
    public byte Escape { get; }

    /// <summary>MSH-2, 4th character.</summary>
    public byte SubComponent { get; }

    /// <summary>MSH-2, 5th character (v2.7+), when present.</summary>
    public byte? Truncation { get; }

    /// <summary>MSH-2 as written (4 or 5 characters).</summary>
    public string EncodingCharacters => Truncation is { } t
        ? string.Create(5, this, static (span, d) => Fill(span, d, d.Truncation!.Value))
        : string.Create(4, this, static (span, d) => Fill(span, d, 0));

    private static void Fill(Span<char> span, Hl7Delimiters d, byte truncation)
    {
        span[0] = (char)d.Component;
        span[1] = (char)d.Repetition;
        span[2] = (char)d.Escape;
        span[3] = (char)d.SubComponent;
        if (span.Length > 4)
        {
            span[4] = (char)truncation;
        }
    }

    /// <summary>
    /// Reads MSH-1/MSH-2 (also FHS/BHS) from the bytes that follow the 3-byte segment id.
    /// <paramref name="afterId"/> starts with the field separator and ends at the end of the segment.
    /// </summary>
    internal static bool TryRead(ReadOnlySpan<byte> afterId, out Hl7Delimiters delimiters, out Hl7ErrorCode failure)
    {
        delimiters = default;
        if (afterId.IsEmpty)
        {
            failure = Hl7ErrorCode.TruncatedMessageHeader;
            return false;
        }

        byte field = afterId[0];
        if (!IsPermitted(field))
        {
            failure = Hl7ErrorCode.InvalidFieldSeparator;
            return false;
        }

        ReadOnlySpan<byte> rest = afterId[1..];
        int end = rest.IndexOf(field);
        if (end < 0)
        {
            // "MSH|^~\&" with nothing after it: the delimiters are readable; whether the segment is complete
            // enough is for the caller to judge (an MSH without MSH-9..12 is truncated, a BHS need not be).
            end = rest.Length;
            if (end == 0)
            {
                failure = Hl7ErrorCode.TruncatedMessageHeader;
                return false;
            }
        }

        ReadOnlySpan<byte> enc = rest[..end];
        if (enc.Length is not (4 or 5) || !AreValid(field, enc))
        {
            failure = Hl7ErrorCode.InvalidEncodingCharacters;
            return false;
        }

        delimiters = new Hl7Delimiters(field, enc[0], enc[1], enc[2], enc[3], enc.Length == 5 ? enc[4] : null);
        failure = default;
        return true;
    }

    private static bool AreValid(byte field, ReadOnlySpan<byte> enc)
    {
        for (int i = 0; i < enc.Length; i++)
        {
            if (!IsPermitted(enc[i]) || enc[i] == field)
            {
                return false;
            }

            for (int j = i + 1; j < enc.Length; j++)
            {
                if (enc[i] == enc[j])
                {
                    return false;
                }
            }
        }

        return true;
    }

    // HL7 v2.5.1 §2.5.4 recommends the defaults and allows others; letters, digits, whitespace and segment
    // terminators would make values ambiguous, so they are refused.
    private static bool IsPermitted(byte b) =>
        b > 0x20 && b < 0x7F && !char.IsAsciiLetterOrDigit((char)b);
}
