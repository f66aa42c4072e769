namespace Carevault.Mllp;

/// <summary>
/// MLLP block framing (HL7 v2 Transport Specification: MLLP Release 2, §1.4 / HL7 v2.5.1 Appendix C.4):
/// <c>&lt;VT&gt; message &lt;FS&gt;&lt;CR&gt;</c>, VT = 0x0B, FS = 0x1C, CR = 0x0D.
/// </summary>
public static class MllpFraming
{
    /// <summary>Start block, VT.</summary>
    public const byte StartBlock = 0x0B;

    /// <summary>End block, FS.</summary>
    public const byte EndBlock = 0x1C;

    /// <summary>Carriage return after the end block.</summary>
    public const byte CarriageReturn = 0x0D;

    /// <summary>Wraps <paramref name="message"/> in a frame.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[message.Length + 3];
        frame[0] = StartBlock;
        message.CopyTo(frame.AsSpan(1));
        frame[^2] = EndBlock;
        frame[^1] = CarriageReturn;
        return frame;
    }
}
