using System.Buffers.Binary;
using Carevault.Dicom.Parsing;
using Carevault.Dicom.Text;

namespace Carevault.Dicom;

/// <summary>
/// A parsed DICOM Part 10 file: the element tree over the caller's memory (no values copied) plus the
/// inflated data set of a deflated file. Read values with <see cref="GetValue"/> and <see cref="GetString"/>.
/// </summary>
public sealed class DicomFile
{
    private readonly ReadOnlyMemory<byte> _source;
    private readonly ReadOnlyMemory<byte> _inflated;

    internal DicomFile(ReadOnlyMemory<byte> source, ParsedFile parsed)
    {
        _source = source;
        _inflated = parsed.Inflated ?? ReadOnlyMemory<byte>.Empty;
        FileMetaInformation = parsed.Meta;
        Dataset = parsed.Dataset;
        TransferSyntax = parsed.TransferSyntax;
        HasPreamble = parsed.HasPreamble;
        HasFileMetaInformation = parsed.HasFileMeta;
        PixelData = parsed.PixelData is { } pixels ? DicomPixelDataLocation.From(pixels, parsed.Inflated is not null) : null;
    }

    /// <summary>Group 0002 (empty when the file has none).</summary>
    public DicomDataset FileMetaInformation { get; }

    /// <summary>The data set.</summary>
    public DicomDataset Dataset { get; }

    /// <summary>The transfer syntax: from (0002,0010), or guessed (Uid null) for files without meta information.</summary>
    public DicomTransferSyntax TransferSyntax { get; }

    /// <summary>True when the file starts with the 128-byte preamble and "DICM".</summary>
    public bool HasPreamble { get; }

    /// <summary>True when a group 0002 was found.</summary>
    public bool HasFileMetaInformation { get; }

    /// <summary>The top-level Pixel Data, when present.</summary>
    public DicomPixelDataLocation? PixelData { get; }

    /// <summary>
    /// The raw value bytes of <paramref name="element"/> from <paramref name="owner"/> (the data set or item that
    /// holds it); empty for values beyond the input read.
    /// </summary>
    public ReadOnlyMemory<byte> GetValue(DicomDataset owner, in DicomElement element)
    {
        var buffer = owner.InInflatedData ? _inflated : _source;
        var end = Math.Min(element.ValueOffset + element.Length, buffer.Length);
        return end <= element.ValueOffset ? ReadOnlyMemory<byte>.Empty : buffer[element.ValueOffset..(int)end];
    }

    /// <summary>The raw value bytes of a top-level data set element.</summary>
    public ReadOnlyMemory<byte> GetValue(in DicomElement element) => GetValue(Dataset, element);

    /// <summary>
    /// The value decoded as text through the Specific Character Set in force, trailing padding (space, NUL)
    /// removed; multiple values keep their backslashes. Null when absent or a sequence. Meant for text VRs (and
    /// UN/private values known to hold text); binary VRs decode to meaningless characters.
    /// </summary>
    public string? GetString(DicomDataset owner, DicomTag tag)
    {
        if (!owner.TryGetElement(tag, out var element) || element.Items is not null)
        {
            return null;
        }

        var buffer = owner.InInflatedData ? _inflated.Span : _source.Span;
        var characterSet = tag.Group == 0x0002 ? DicomCharacterSet.Default : owner.CharacterSet;
        return DicomValueDecoder.DecodeText(buffer, element, characterSet);
    }

    /// <summary>A US value (first value), honouring the byte order; null when absent or not 2 bytes.</summary>
    public ushort? GetUInt16(DicomDataset owner, DicomTag tag)
    {
        if (!owner.TryGetElement(tag, out var element) || element.Length < 2 || element.Items is not null)
        {
            return null;
        }

        var bytes = GetValue(owner, element).Span;
        return bytes.Length < 2 ? null
            : owner.IsBigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);
    }
}
