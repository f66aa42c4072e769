using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Carevault.Hl7v2;

/// <summary>
/// Where each segment and field lies in the buffer: two ints per segment (first field slot, field count) and two per
/// field (start, end), absolute offsets into <see cref="Buffer"/>. Components, repetitions and sub-components are not
/// indexed; they are found on demand by scanning the (short) field slice, which keeps a parse to a few arrays.
/// </summary>
internal sealed class Hl7SegmentTable
{
    private readonly int[] _segments;
    private readonly int[] _fields;

    internal Hl7SegmentTable(ReadOnlyMemory<byte> buffer, Hl7Delimiters delimiters, Encoding encoding, int[] segments, int[] fields)
    {
        Debug.Assert(segments.Length % 2 == 0 && fields.Length % 2 == 0, "pairs");
        Buffer = buffer;
        Delimiters = delimiters;
        Encoding = encoding;
        _segments = segments;
        _fields = fields;
    }

    public ReadOnlyMemory<byte> Buffer { get; }

    public Hl7Delimiters Delimiters { get; }

    public Encoding Encoding { get; }

    public int SegmentCount => _segments.Length / 2;

    /// <summary>Fields in segment <paramref name="segment"/>, counting the id as field 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FieldSlots(int segment) => _segments[(2 * segment) + 1];

    public (int Start, int End) FieldRange(int segment, int field)
    {
        Debug.Assert(field >= 0 && field < FieldSlots(segment), "field in range");
        int slot = _segments[2 * segment] + field;
        return (_fields[2 * slot], _fields[(2 * slot) + 1]);
    }

    public (int Start, int End) SegmentRange(int segment)
    {
        int slots = FieldSlots(segment);
        return (FieldRange(segment, 0).Start, FieldRange(segment, slots - 1).End);
    }

    public ReadOnlySpan<byte> Slice(int start, int end) => Buffer.Span[start..end];

    /// <summary>Whether a segment's fields 1 and 2 are the delimiters themselves (MSH, FHS, BHS: HL7 v2.5.1 §2.14.9.1).</summary>
    public bool IsHeaderSegment(int segment)
    {
        (int s, int e) = FieldRange(segment, 0);
        ReadOnlySpan<byte> id = Slice(s, e);
        return id.SequenceEqual("MSH"u8) || id.SequenceEqual("FHS"u8) || id.SequenceEqual("BHS"u8);
    }
}

/// <summary>Collects segment and field ranges during a parse, in pooled-free growing arrays.</summary>
internal struct Hl7SegmentTableBuilder
{
    private int[] _segments;
    private int[] _fields;
    private int _segmentCount;
    private int _fieldCount;

    public Hl7SegmentTableBuilder(int expectedSegments, int expectedFields)
    {
        _segments = new int[Math.Max(2, expectedSegments * 2)];
        _fields = new int[Math.Max(2, expectedFields * 2)];
    }

    public readonly int SegmentCount => _segmentCount;

    public void BeginSegment()
    {
        if ((_segmentCount * 2) + 2 > _segments.Length)
        {
            Array.Resize(ref _segments, _segments.Length * 2);
        }

        _segments[_segmentCount * 2] = _fieldCount;
        _segments[(_segmentCount * 2) + 1] = 0;
        _segmentCount++;
    }

    public void AddField(int start, int end)
    {
        Debug.Assert(_segmentCount > 0 && start <= end, "field inside a segment");
        if ((_fieldCount * 2) + 2 > _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[_fieldCount * 2] = start;
        _fields[(_fieldCount * 2) + 1] = end;
        _fieldCount++;
        _segments[((_segmentCount - 1) * 2) + 1]++;
    }

    public readonly Hl7SegmentTable Build(ReadOnlyMemory<byte> buffer, Hl7Delimiters delimiters, Encoding encoding) =>
        new(buffer, delimiters, encoding, _segments[..(_segmentCount * 2)], _fields[..(_fieldCount * 2)]);
}
