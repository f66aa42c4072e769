namespace Carevault.Hl7v2;

/// <summary>
/// A batch or file (HL7 v2.5.1 §2.10.3: FHS, BHS, messages, BTS, FTS) — or a lone message, seen as a batch of one.
/// Each message is parsed on its own, so one bad message does not hide the others.
/// </summary>
public sealed class Hl7Batch
{
    internal Hl7Batch(Hl7SegmentList envelope, IReadOnlyList<Hl7Result<Hl7Message>> messages)
    {
        Envelope = envelope;
        Messages = messages;
    }

    /// <summary>FHS, BHS, BTS and FTS segments in the order they appear (empty for a lone message).</summary>
    public Hl7SegmentList Envelope { get; }

    /// <summary>The FHS segment, when present.</summary>
    public Hl7Segment? FileHeader => Find("FHS");

    /// <summary>The (first) BHS segment, when present.</summary>
    public Hl7Segment? BatchHeader => Find("BHS");

    /// <summary>Every message, in order, each parsed or failed on its own.</summary>
    public IReadOnlyList<Hl7Result<Hl7Message>> Messages { get; }

    private Hl7Segment? Find(string id)
    {
        foreach (Hl7Segment segment in Envelope)
        {
            if (segment.Is(id))
            {
                return segment;
            }
        }

        return null;
    }
}
