using System.Text;

namespace Carevault.Hl7v2;

/// <summary>
/// One parsed HL7 v2 message: the original bytes plus an index of segments and fields. Values are read on demand
/// (<see cref="Get"/>, <see cref="Hl7Segment.Field"/>); nothing is copied or decoded until asked.
/// </summary>
public sealed class Hl7Message
{
    private readonly Hl7SegmentTable _table;

    internal Hl7Message(Hl7SegmentTable table, IReadOnlyList<Hl7Warning> warnings)
    {
        _table = table;
        Warnings = warnings;
        Hl7Segment msh = Header;
        MessageCode = msh.GetValue(9, 0, 1);
        TriggerEvent = msh.GetValue(9, 0, 2);
        MessageStructure = msh.GetValue(9, 0, 3);
        ControlId = msh.GetValue(10);
        ProcessingId = msh.GetValue(11);
        Version = msh.GetValue(12);
        string charset = msh.Field(18).Repetition(0).GetString();
        CharacterSet = charset.Length == 0 ? null : charset;
    }

    /// <summary>The message bytes (from MSH to the end of the last segment's terminator, as given).</summary>
    public ReadOnlyMemory<byte> Raw => _table.Buffer;

    /// <summary>Separators from MSH-1/MSH-2.</summary>
    public Hl7Delimiters Delimiters => _table.Delimiters;

    /// <summary>The character set values are decoded with (from MSH-18; UTF-8 by default).</summary>
    public Encoding Encoding => _table.Encoding;

    /// <summary>All segments in order, MSH first.</summary>
    public Hl7SegmentList Segments => new(_table);

    /// <summary>The MSH segment.</summary>
    public Hl7Segment Header => new(_table, 0);

    /// <summary>MSH-9.1, e.g. "ORU".</summary>
    public string MessageCode { get; }

    /// <summary>MSH-9.2, e.g. "R01" (empty for a bare "ACK").</summary>
    public string TriggerEvent { get; }

    /// <summary>MSH-9.3, e.g. "ORU_R01" (often empty before v2.4).</summary>
    public string MessageStructure { get; }

    /// <summary>MSH-9.1^MSH-9.2, e.g. "ORU^R01".</summary>
    public string MessageType => TriggerEvent.Length == 0 ? MessageCode : MessageCode + "^" + TriggerEvent;

    /// <summary>MSH-10, the sender's message control id.</summary>
    public string ControlId { get; }

    /// <summary>MSH-11 (e.g. "P", "T", "D").</summary>
    public string ProcessingId { get; }

    /// <summary>MSH-12.1, e.g. "2.5.1".</summary>
    public string Version { get; }

    /// <summary>MSH-18 first repetition, or null when the message declares none.</summary>
    public string? CharacterSet { get; }

    /// <summary>Non-fatal findings of the parse.</summary>
    public IReadOnlyList<Hl7Warning> Warnings { get; }

    /// <summary>The <paramref name="occurrence"/>-th (0-based) segment with id <paramref name="segmentId"/>, or null.</summary>
    public Hl7Segment? FindSegment(string segmentId, int occurrence = 0)
    {
        ArgumentNullException.ThrowIfNull(segmentId);
        int seen = 0;
        foreach (Hl7Segment segment in Segments)
        {
            if (segment.Is(segmentId) && seen++ == occurrence)
            {
                return segment;
            }
        }

        return null;
    }

    /// <summary>All segments with id <paramref name="segmentId"/>, in order.</summary>
    public IEnumerable<Hl7Segment> SegmentsWithId(string segmentId)
    {
        ArgumentNullException.ThrowIfNull(segmentId);
        return Iterate(this, segmentId);

        static IEnumerable<Hl7Segment> Iterate(Hl7Message message, string id)
        {
            foreach (Hl7Segment segment in message.Segments)
            {
                if (segment.Is(id))
                {
                    yield return segment;
                }
            }
        }
    }

    /// <summary>
    /// The unescaped value at <c>segmentId-field[repetition].component.subComponent</c> of the first such segment,
    /// e.g. <c>Get("PID", 5, repetition: 0, component: 1)</c> for the family name. Null when the segment is absent,
    /// empty when the segment is there but the value is not.
    /// </summary>
    public string? Get(string segmentId, int field, int repetition = 0, int component = 1, int subComponent = 1) =>
        FindSegment(segmentId) is { } segment ? segment.GetValue(field, repetition, component, subComponent) : null;

    /// <inheritdoc />
    public override string ToString() => $"{MessageType} {Version} ({Segments.Count} segments)";
}
