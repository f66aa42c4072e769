using System.Buffers;
using System.Diagnostics;

namespace Carevault.Hl7v2;

/// <summary>
/// Walks the segments of an HL7 v2 byte stream without allocating. HL7 v2.5.1 §2.5.3 says segments end with CR;
/// real feeds also use LF and CRLF (git checkouts, Unix tools), so any run of CR and LF ends a segment and blank
/// lines are skipped. A leading UTF-8 byte order mark is skipped.
/// </summary>
public ref struct Hl7v2SegmentReader
{
    private static readonly SearchValues<byte> LineBreaks = SearchValues.Create("\r\n"u8);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    /// <summary>Starts reading at the beginning of <paramref name="buffer"/>.</summary>
    public Hl7v2SegmentReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = buffer.StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
    }

    /// <summary>The UTF-8 byte order mark EF BB BF.</summary>
    public static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Offset (into the buffer) of the segment last returned by <see cref="Read"/>.</summary>
    public int SegmentStart { get; private set; }

    /// <summary>The segment last returned, without its terminator.</summary>
    public ReadOnlySpan<byte> Segment { get; private set; }

    /// <summary>Advances to the next non-blank segment; false at the end of the buffer.</summary>
    public bool Read()
    {
        while (ReadLine())
        {
            // A line of only spaces/tabs (trailing editor whitespace) is not a segment.
            if (Segment.IndexOfAnyExcept(Blanks) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static readonly SearchValues<byte> Blanks = SearchValues.Create(" \t"u8);

    private bool ReadLine()
    {
        ReadOnlySpan<byte> rest = _buffer[_position..];
        int skip = rest.IndexOfAnyExcept(LineBreaks);
        if (skip < 0)
        {
            _position = _buffer.Length;
            Segment = default;
            return false;
        }

        int start = _position + skip;
        rest = _buffer[start..];
        int length = rest.IndexOfAny(LineBreaks);
        if (length < 0)
        {
            length = rest.Length;
        }

        SegmentStart = start;
        Segment = rest[..length];
        _position = start + length;
        Debug.Assert(!Segment.IsEmpty, "a returned segment is never empty");
        return true;
    }

    /// <summary>True when <paramref name="segment"/> starts with the 3-byte id (e.g. "MSH").</summary>
    internal static bool HasId(ReadOnlySpan<byte> segment, ReadOnlySpan<byte> id) =>
        segment.Length >= 3 && segment[..3].SequenceEqual(id) && (segment.Length == 3 || !char.IsAsciiLetterOrDigit((char)segment[3]));
}
