using System.Buffers.Binary;
using System.Text;

namespace Carevault.Dicom.Tests;

/// <summary>Builds small synthetic Part 10 files, element by element (PS3.5 §7.1), for structure and limit tests.</summary>
internal static class DicomTestFiles
{
    public const string ExplicitLE = "1.2.840.10008.1.2.1";
    public const string ImplicitLE = "1.2.840.10008.1.2";
    public const string ExplicitBE = "1.2.840.10008.1.2.2";

    /// <summary>An explicit LE file: Modality OT, PatientID, optional padding element, native pixel data of the given length.</summary>
    public static byte[] ExplicitLittleEndian(int pixelDataLength, int paddingElementLength = 0)
    {
        var syntax = new Syntax(Explicit: true, BigEndian: false);
        var parts = new List<byte[]>
        {
            TextElement(syntax, 0x0008, 0x0060, "CS", "OT"),
            TextElement(syntax, 0x0010, 0x0020, "LO", "SYNTH1"),
        };
        if (paddingElementLength > 0)
        {
            parts.Add(Element(syntax, 0x0009, 0x1010, "OB", new byte[paddingElementLength]));
        }

        parts.Add(Element(syntax, 0x7FE0, 0x0010, "OW", new byte[pixelDataLength]));
        return File(ExplicitLE, [.. parts]);
    }

    public static byte[] File(string transferSyntaxUid, params byte[][] dataset)
    {
        var metaSyntax = new Syntax(Explicit: true, BigEndian: false);
        var metaBody = Concat(
            Element(metaSyntax, 0x0002, 0x0001, "OB", [0, 1]),
            TextElement(metaSyntax, 0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7"),
            TextElement(metaSyntax, 0x0002, 0x0003, "UI", "1.2.3.4"),
            TextElement(metaSyntax, 0x0002, 0x0010, "UI", transferSyntaxUid));
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)metaBody.Length);
        return Concat(new byte[128], "DICM"u8.ToArray(), Element(metaSyntax, 0x0002, 0x0000, "UL", groupLength), metaBody, Concat(dataset));
    }

    public static byte[] TextElement(Syntax syntax, ushort group, ushort element, string vr, string value)
    {
        var bytes = Encoding.Latin1.GetBytes(value.Length % 2 == 0 ? value : value + (vr == "UI" ? "\0" : " "));
        return Element(syntax, group, element, vr, bytes);
    }

    public static byte[] Element(Syntax syntax, ushort group, ushort element, string vr, byte[] value, uint? declaredLength = null)
    {
        var length = declaredLength ?? (uint)value.Length;
        var header = new List<byte>();
        header.AddRange(Tag(syntax, group, element));
        if (syntax.Explicit)
        {
            header.AddRange(Encoding.ASCII.GetBytes(vr));
            var isLong = vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "SV" or "UC" or "UN" or "UR" or "UT" or "UV"
                || !IsStandard(vr);
            if (isLong)
            {
                header.AddRange([0, 0]);
                header.AddRange(UInt32(syntax, length));
            }
            else
            {
                header.AddRange(UInt16(syntax, (ushort)length));
            }
        }
        else
        {
            header.AddRange(UInt32(syntax, length));
        }

        return Concat([.. header], value);
    }

    /// <summary>A sequence of items; undefined length adds the delimiters.</summary>
    public static byte[] Sequence(Syntax syntax, ushort group, ushort element, bool undefinedLength, params byte[][] items)
    {
        var body = Concat(items);
        if (undefinedLength)
        {
            return Concat(Element(syntax, group, element, "SQ", [], 0xFFFF_FFFF), body, Delimiter(syntax, 0xE0DD));
        }

        return Element(syntax, group, element, "SQ", body);
    }

    public static byte[] Item(Syntax syntax, bool undefinedLength, params byte[][] elements)
    {
        var body = Concat(elements);
        var header = Concat(Tag(syntax, 0xFFFE, 0xE000), UInt32(syntax, undefinedLength ? 0xFFFF_FFFF : (uint)body.Length));
        return undefinedLength ? Concat(header, body, Delimiter(syntax, 0xE00D)) : Concat(header, body);
    }

    /// <summary>Items nested <paramref name="depth"/> sequences deep (undefined lengths).</summary>
    public static byte[] NestedSequences(Syntax syntax, int depth)
    {
        var inner = TextElement(syntax, 0x0008, 0x0060, "CS", "OT");
        for (var i = 0; i < depth; i++)
        {
            inner = Sequence(syntax, 0x0040, 0xA730, undefinedLength: true, Item(syntax, undefinedLength: true, inner));
        }

        return inner;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, offset);
            offset += part.Length;
        }

        return result;
    }

    private static byte[] Delimiter(Syntax syntax, ushort element) => Concat(Tag(syntax, 0xFFFE, element), UInt32(syntax, 0));

    private static byte[] Tag(Syntax syntax, ushort group, ushort element) => Concat(UInt16(syntax, group), UInt16(syntax, element));

    private static byte[] UInt16(Syntax syntax, ushort value)
    {
        var bytes = new byte[2];
        if (syntax.BigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        }

        return bytes;
    }

    private static byte[] UInt32(Syntax syntax, uint value)
    {
        var bytes = new byte[4];
        if (syntax.BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        }

        return bytes;
    }

    private static bool IsStandard(string vr) => Enum.TryParse<DicomVR>(vr, out var parsed) && parsed.IsStandard();

    public readonly record struct Syntax(bool Explicit, bool BigEndian)
    {
        public static Syntax ExplicitLittle => new(Explicit: true, BigEndian: false);

        public static Syntax ImplicitLittle => new(Explicit: false, BigEndian: false);

        public static Syntax ExplicitBig => new(Explicit: true, BigEndian: true);
    }
}

/// <summary>A stream that cannot seek, to exercise the forward-only path.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7000));

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Counts the bytes read through it.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        BytesRead += read;
        return read;
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
