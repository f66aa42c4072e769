using System.Buffers.Binary;
using System.Diagnostics;
using Carevault.Dicom.Dictionary;
using Carevault.Dicom.Text;

namespace Carevault.Dicom.Parsing;

/// <summary>
/// Reads the elements of a data set (PS3.5 §7) from a span into a <see cref="DicomDataset"/> tree of offsets.
/// Invariants: every loop advances <c>pos</c> by at least 8 bytes or ends; every length is checked against the
/// bytes remaining before it is used, so a corrupted length can neither loop nor allocate; recursion is bounded
/// by <see cref="DicomReaderOptions.MaxDepth"/>. Values are never copied: elements record offsets.
/// </summary>
internal ref struct DicomDatasetParser
{
    private const uint UndefinedLength = 0xFFFF_FFFF;
    private const int HardDepthCap = 256; // ~4 frames per level: stays far inside a 1.5 MB thread stack

    private readonly ReadOnlySpan<byte> _data;
    private readonly DicomReaderOptions _options;
    private readonly bool _inInflatedData;
    private readonly long _knownTotalLength;
    private readonly int _maxDepth;
    private int _elementCount;

    /// <param name="data">The bytes available.</param>
    /// <param name="options">Limits.</param>
    /// <param name="inInflatedData">True when <paramref name="data"/> is an inflated data set.</param>
    /// <param name="knownTotalLength">Length of the whole input when more exists than <paramref name="data"/>
    /// (a stream read in part); otherwise <c>data.Length</c>.</param>
    public DicomDatasetParser(ReadOnlySpan<byte> data, DicomReaderOptions options, bool inInflatedData, long knownTotalLength)
    {
        _data = data;
        _options = options;
        _inInflatedData = inInflatedData;
        _knownTotalLength = Math.Max(knownTotalLength, data.Length);
        _maxDepth = Math.Clamp(options.MaxDepth, 0, HardDepthCap);
    }

    /// <summary>The first error met; parsing stops there.</summary>
    public DicomError? Error { get; private set; }

    /// <summary>True when parsing stopped on purpose (StopAfter, StopAtPixelData).</summary>
    public bool Stopped { get; private set; }

    /// <summary>True when the error is only that the available bytes ran out before the known input did.</summary>
    public bool NeedsMoreData { get; private set; }

    /// <summary>Offset of the top-level Pixel Data element, when found.</summary>
    public DicomElement? PixelData { get; private set; }

    /// <summary>Reads top-level elements from <paramref name="pos"/> to the end of the data.</summary>
    public bool ParseTopLevel(int pos, DicomDataset dataset, bool explicitVr, bool bigEndian) =>
        ParseItemBody(ref pos, _data.Length, dataset, depth: 0, explicitVr, bigEndian, untilDelimiter: false);

    /// <summary>Reads the file meta group (0002,xxxx) from <paramref name="pos"/>; returns the offset after it.</summary>
    public int ParseMetaGroup(int pos, DicomDataset meta)
    {
        // PS3.10 §7.1: always explicit VR little endian. Some writers emit it implicit; accept that as DCMTK does.
        var explicitVr = pos + 6 <= _data.Length && ReadVr(pos + 4).IsStandard();
        while (pos + 8 <= _data.Length && BinaryPrimitives.ReadUInt16LittleEndian(_data[pos..]) == 0x0002)
        {
            if (!ParseElement(ref pos, _data.Length, meta, depth: 0, explicitVr, bigEndian: false))
            {
                break;
            }
        }

        return pos;
    }

    private bool ParseItemBody(ref int pos, int end, DicomDataset dataset, int depth, bool explicitVr, bool bigEndian, bool untilDelimiter)
    {
        while (pos < end)
        {
            if (end - pos < 8)
            {
                return Fail(DicomErrorCode.TruncatedElement, pos, null,
                    $"truncated element header at offset {pos}: {end - pos} bytes remain");
            }

            var tag = ReadTag(pos, bigEndian);
            if (tag.Group == 0xFFFE)
            {
                if (tag == DicomTags.ItemDelimitationItem)
                {
                    pos += 8;
                    if (untilDelimiter)
                    {
                        return true;
                    }

                    continue; // stray delimiter: DCMTK skips it with a warning
                }

                if (tag == DicomTags.SequenceDelimitationItem)
                {
                    if (untilDelimiter)
                    {
                        return true; // item without its delimiter: let the sequence consume this one
                    }

                    pos += 8;
                    continue;
                }

                return Fail(DicomErrorCode.UnexpectedTag, pos, tag, $"unexpected item tag {tag} at offset {pos} outside a sequence");
            }

            if (depth == 0 && _options.StopAfter is { } stop && tag > stop)
            {
                Stopped = true;
                return true;
            }

            if (!ParseElement(ref pos, end, dataset, depth, explicitVr, bigEndian))
            {
                return false;
            }

            if (depth == 0 && (Stopped || (_options.StopAfter is { } last && tag == last)))
            {
                Stopped = true;
                return true;
            }
        }

        if (untilDelimiter && end == _data.Length)
        {
            return Fail(DicomErrorCode.MissingDelimiter, pos, null, $"undefined-length item not delimited before the end of data at offset {pos}");
        }

        return true;
    }

    private bool ParseElement(ref int pos, int end, DicomDataset dataset, int depth, bool explicitVr, bool bigEndian)
    {
        var start = pos;
        var tag = ReadTag(pos, bigEndian);
        DicomVR vr;
        uint length;
        int headerLength;
        if (explicitVr)
        {
            vr = ReadVr(pos + 4);
            if (vr.HasLongLength())
            {
                if (end - pos < 12)
                {
                    return Fail(DicomErrorCode.TruncatedElement, pos, tag, $"truncated element header {tag} at offset {pos}: {end - pos} bytes remain");
                }

                length = ReadUInt32(pos + 8, bigEndian);
                headerLength = 12;
            }
            else
            {
                length = ReadUInt16(pos + 6, bigEndian);
                headerLength = 8;
            }
        }
        else
        {
            vr = DicomDictionary.Lookup(tag);
            length = ReadUInt32(pos + 4, bigEndian);
            headerLength = 8;
        }

        var valueStart = pos + headerLength;
        if (++_elementCount > _options.MaxElements)
        {
            return Fail(DicomErrorCode.TooManyElements, start, tag, $"more than {_options.MaxElements} elements at offset {start}");
        }

        if (tag == DicomTags.SpecificCharacterSet && length != UndefinedLength && length <= (uint)(end - valueStart))
        {
            dataset.CharacterSet = DicomCharacterSet.FromValue(_data.Slice(valueStart, (int)length));
        }

        var isPixelData = tag == DicomTags.PixelData;
        if (length == UndefinedLength)
        {
            return isPixelData && vr != DicomVR.SQ
                ? ParseFragments(ref pos, start, valueStart, end, dataset, depth, tag, vr, bigEndian)
                : ParseUndefinedSequence(ref pos, start, valueStart, end, dataset, depth, tag, vr, explicitVr, bigEndian);
        }

        var topLevelPixels = isPixelData && depth == 0;
        if (length > _options.MaxElementLength && !topLevelPixels)
        {
            return Fail(DicomErrorCode.ElementTooLarge, start, tag,
                $"element {tag} at offset {start} declares {length} bytes, more than the {_options.MaxElementLength} allowed");
        }

        var remaining = end - valueStart;
        if (length > (uint)remaining)
        {
            var beyondBufferButPresent = end == _data.Length && valueStart + (long)length <= _knownTotalLength;
            if (topLevelPixels && beyondBufferButPresent)
            {
                Debug.Assert(_knownTotalLength > _data.Length, "only a partial read leaves bytes beyond the buffer");
                var located = new DicomElement { Tag = tag, VR = vr, HeaderOffset = start, ValueOffset = valueStart, Length = length };
                dataset.Add(located);
                PixelData = located;
                Stopped = true;
                pos = end;
                return true;
            }

            if (end == _data.Length && valueStart + (long)length <= _knownTotalLength)
            {
                NeedsMoreData = true;
            }

            if (vr == DicomVR.SQ && !ParseTruncatedSequence(start, valueStart, end, dataset, depth, tag, vr, length, explicitVr, bigEndian))
            {
                return false; // the innermost element that runs out is reported, as DCMTK does
            }

            return Fail(DicomErrorCode.TruncatedElement, start, tag,
                $"truncated element {tag} at offset {start}: value length {length} exceeds the {remaining} bytes remaining");
        }

        IReadOnlyList<DicomDataset>? items = null;
        if (vr == DicomVR.SQ && length > 0)
        {
            var itemList = new List<DicomDataset>();
            items = itemList;
            var inner = valueStart;
            var ok = ParseItems(ref inner, valueStart + (int)length, itemList, dataset, depth, tag, explicitVr, bigEndian, untilDelimiter: false);
            if (!ok)
            {
                dataset.Add(new DicomElement { Tag = tag, VR = vr, HeaderOffset = start, ValueOffset = valueStart, Length = length, Items = items });
                return false;
            }
        }
        else if (vr == DicomVR.SQ)
        {
            items = [];
        }

        var element = new DicomElement { Tag = tag, VR = vr, HeaderOffset = start, ValueOffset = valueStart, Length = length, Items = items };
        dataset.Add(element);
        if (topLevelPixels)
        {
            PixelData = element;
            Stopped |= _options.StopAtPixelData;
        }

        pos = valueStart + (int)length;
        return true;
    }

    private bool ParseTruncatedSequence(int start, int valueStart, int end, DicomDataset dataset, int depth, DicomTag tag, DicomVR vr,
        uint length, bool explicitVr, bool bigEndian)
    {
        var itemList = new List<DicomDataset>();
        var inner = valueStart;
        var ok = ParseItems(ref inner, end, itemList, dataset, depth, tag, explicitVr, bigEndian, untilDelimiter: false);
        dataset.Add(new DicomElement { Tag = tag, VR = vr, HeaderOffset = start, ValueOffset = valueStart, Length = length, Items = itemList });
        return ok;
    }

    private bool ParseUndefinedSequence(ref int pos, int start, int valueStart, int end, DicomDataset dataset, int depth,
        DicomTag tag, DicomVR vr, bool explicitVr, bool bigEndian)
    {
        // PS3.5 §6.2.2 note / CP-246: an undefined-length UN element is a sequence in implicit VR little endian.
        // In implicit VR, any undefined length can only be a sequence (DCMTK reads it so).
        var innerExplicit = explicitVr && vr != DicomVR.UN;
        var innerBigEndian = bigEndian && vr != DicomVR.UN;
        var itemList = new List<DicomDataset>();
        var inner = valueStart;
        var ok = ParseItems(ref inner, end, itemList, dataset, depth, tag, innerExplicit, innerBigEndian, untilDelimiter: true);
        dataset.Add(new DicomElement
        {
            Tag = tag,
            VR = vr == DicomVR.None ? DicomVR.SQ : vr,
            HeaderOffset = start,
            ValueOffset = valueStart,
            Length = inner - valueStart,
            IsUndefinedLength = true,
            Items = itemList,
        });
        pos = inner;
        return ok;
    }

    private bool ParseItems(ref int pos, int end, List<DicomDataset> items, DicomDataset parent, int depth, DicomTag sequenceTag,
        bool explicitVr, bool bigEndian, bool untilDelimiter)
    {
        if (depth + 1 > _maxDepth)
        {
            return Fail(DicomErrorCode.NestingTooDeep, pos, sequenceTag,
                $"sequence {sequenceTag} at offset {pos} nests deeper than {_maxDepth} levels");
        }

        while (true)
        {
            if (!untilDelimiter && pos >= end)
            {
                return true;
            }

            if (end - pos < 8)
            {
                return untilDelimiter
                    ? Fail(DicomErrorCode.MissingDelimiter, pos, sequenceTag, $"sequence {sequenceTag} not delimited before offset {end}")
                    : Fail(DicomErrorCode.TruncatedElement, pos, sequenceTag, $"truncated item header in sequence {sequenceTag} at offset {pos}");
            }

            var tag = ReadTag(pos, bigEndian);
            var length = ReadUInt32(pos + 4, bigEndian);
            if (tag == DicomTags.SequenceDelimitationItem)
            {
                pos += 8;
                return true; // also ends a defined-length sequence early, as DCMTK tolerates
            }

            if (tag != DicomTags.Item)
            {
                return Fail(DicomErrorCode.UnexpectedTag, pos, tag, $"expected an item in sequence {sequenceTag} at offset {pos}, found {tag}");
            }

            if (items.Count >= _options.MaxItems)
            {
                return Fail(DicomErrorCode.TooManyItems, pos, sequenceTag, $"sequence {sequenceTag} has more than {_options.MaxItems} items");
            }

            pos += 8;
            var item = new DicomDataset(parent.CharacterSet, _inInflatedData, bigEndian);
            items.Add(item);
            if (length == UndefinedLength)
            {
                if (!ParseItemBody(ref pos, end, item, depth + 1, explicitVr, bigEndian, untilDelimiter: true))
                {
                    return false;
                }

                continue;
            }

            if (length > (uint)(end - pos))
            {
                if (!ParseItemBody(ref pos, end, item, depth + 1, explicitVr, bigEndian, untilDelimiter: false))
                {
                    return false; // report the innermost element that runs out, as DCMTK does
                }

                return Fail(DicomErrorCode.TruncatedElement, pos - 8, sequenceTag,
                    $"truncated item in sequence {sequenceTag} at offset {pos - 8}: item length {length} exceeds the {end - pos} bytes remaining");
            }

            var itemEnd = pos + (int)length;
            if (!ParseItemBody(ref pos, itemEnd, item, depth + 1, explicitVr, bigEndian, untilDelimiter: false))
            {
                return false;
            }

            pos = itemEnd;
        }
    }

    private bool ParseFragments(ref int pos, int start, int valueStart, int end, DicomDataset dataset, int depth,
        DicomTag tag, DicomVR vr, bool bigEndian)
    {
        // PS3.5 §A.4: encapsulated pixel data is a sequence of items (fragments), the first the basic offset
        // table, ended by a sequence delimiter. Fragments are skipped, never decoded.
        var p = valueStart;
        var fragments = 0;
        var ok = true;
        while (true)
        {
            if (end - p < 8)
            {
                ok = Fail(DicomErrorCode.MissingDelimiter, p, tag, $"encapsulated pixel data {tag} not delimited before offset {end}");
                break;
            }

            var itemTag = ReadTag(p, bigEndian);
            var length = ReadUInt32(p + 4, bigEndian);
            if (itemTag == DicomTags.SequenceDelimitationItem)
            {
                p += 8;
                break;
            }

            if (itemTag != DicomTags.Item || length == UndefinedLength)
            {
                ok = Fail(DicomErrorCode.UnexpectedTag, p, itemTag, $"expected a fragment item in pixel data {tag} at offset {p}, found {itemTag}");
                break;
            }

            if (length > (uint)(end - p - 8))
            {
                ok = Fail(DicomErrorCode.TruncatedElement, p, tag,
                    $"truncated fragment in pixel data {tag} at offset {p}: length {length} exceeds the {end - p - 8} bytes remaining");
                break;
            }

            if (++fragments > _options.MaxItems)
            {
                ok = Fail(DicomErrorCode.TooManyItems, p, tag, $"pixel data {tag} has more than {_options.MaxItems} fragments");
                break;
            }

            p += 8 + (int)length;
        }

        var element = new DicomElement
        {
            Tag = tag,
            VR = vr == DicomVR.None ? DicomVR.OB : vr,
            HeaderOffset = start,
            ValueOffset = valueStart,
            Length = p - valueStart,
            IsUndefinedLength = true,
            FragmentCount = fragments,
        };
        dataset.Add(element);
        if (depth == 0 && ok)
        {
            PixelData = element;
            Stopped |= _options.StopAtPixelData;
        }

        pos = p;
        return ok;
    }

    private readonly DicomTag ReadTag(int pos, bool bigEndian) => bigEndian
        ? new DicomTag(BinaryPrimitives.ReadUInt16BigEndian(_data[pos..]), BinaryPrimitives.ReadUInt16BigEndian(_data[(pos + 2)..]))
        : new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(_data[pos..]), BinaryPrimitives.ReadUInt16LittleEndian(_data[(pos + 2)..]));

    private readonly DicomVR ReadVr(int pos) => (DicomVR)((_data[pos] << 8) | _data[pos + 1]);

    private readonly ushort ReadUInt16(int pos, bool bigEndian) => bigEndian
        ? BinaryPrimitives.ReadUInt16BigEndian(_data[pos..])
        : BinaryPrimitives.ReadUInt16LittleEndian(_data[pos..]);

    private readonly uint ReadUInt32(int pos, bool bigEndian) => bigEndian
        ? BinaryPrimitives.ReadUInt32BigEndian(_data[pos..])
        : BinaryPrimitives.ReadUInt32LittleEndian(_data[pos..]);

    private bool Fail(DicomErrorCode code, int offset, DicomTag? tag, string message)
    {
        Error ??= new DicomError(code, offset, tag, _inInflatedData ? message + " (in the inflated data set)" : message, _inInflatedData);
        return false;
    }
}
