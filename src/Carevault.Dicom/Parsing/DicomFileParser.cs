using System.Buffers.Binary;
using System.Text;
using Carevault.Dicom.Dictionary;
using Carevault.Dicom.Text;

namespace Carevault.Dicom.Parsing;

/// <summary>The parsed structure of a file: offsets into the input (or the inflated data set), no values.</summary>
internal sealed class ParsedFile
{
    public required DicomDataset Meta { get; init; }

    public required DicomDataset Dataset { get; init; }

    public required DicomTransferSyntax TransferSyntax { get; init; }

    public bool HasPreamble { get; init; }

    public bool HasFileMeta { get; init; }

    /// <summary>The inflated data set of a deflated file; null otherwise.</summary>
    public ReadOnlyMemory<byte>? Inflated { get; init; }

    public DicomElement? PixelData { get; init; }

    public DicomError? Error { get; init; }

    /// <summary>True when the error may vanish with more input (a stream read in part).</summary>
    public bool NeedsMoreData { get; init; }
}

/// <summary>
/// PS3.10 §7: preamble, "DICM", file meta group, then the data set in the transfer syntax the meta names.
/// Files without preamble or meta are recognised as DCMTK does (DcmFileFormat/DcmItem::checkTransferSyntax).
/// </summary>
internal static class DicomFileParser
{
    private static ReadOnlySpan<byte> Magic => "DICM"u8;

    public static ParsedFile Parse(ReadOnlySpan<byte> data, DicomReaderOptions options, long knownTotalLength)
    {
        var meta = new DicomDataset(DicomCharacterSet.Default, inInflatedData: false, isBigEndian: false);
        var hasPreamble = data.Length >= 132 && data.Slice(128, 4).SequenceEqual(Magic);
        var pos = hasPreamble ? 132 : 0;
        var hasMeta = data.Length - pos >= 8 && BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]) == 0x0002;
        var parser = new DicomDatasetParser(data, options, inInflatedData: false, knownTotalLength);
        DicomTransferSyntax? syntax = null;
        if (hasMeta)
        {
            pos = parser.ParseMetaGroup(pos, meta);
            if (parser.Error is { } metaError)
            {
                return Fail(meta, metaError, hasPreamble, parser.NeedsMoreData);
            }

            if (meta.TryGetElement(DicomTags.TransferSyntaxUid, out var tsElement))
            {
                var uid = Encoding.ASCII.GetString(data.Slice(tsElement.ValueOffset, (int)tsElement.Length)).Trim(' ', '\0');
                syntax = uid.Length > 0 ? DicomTransferSyntax.FromUid(uid) : null;
            }
        }

        if (syntax is null)
        {
            // No meta (or no UID in it): guess from the first element, as DCMTK does.
            if (!TryGuessSyntax(data[pos..], out syntax))
            {
                return Fail(meta, new DicomError(DicomErrorCode.NotDicom, pos, null, hasPreamble || hasMeta
                    ? $"not a DICOM file: no plausible data element at offset {pos} after the file meta information"
                    : $"not a DICOM file: no \"DICM\" at offset 128 and no plausible data element at offset {pos}"), hasPreamble, needsMore: false);
            }
        }

        if (syntax.IsDeflated)
        {
            return ParseDeflated(data[pos..], pos, meta, syntax, hasPreamble, options);
        }

        var dataset = new DicomDataset(DicomCharacterSet.Default, inInflatedData: false, syntax.IsBigEndian);
        parser.ParseTopLevel(pos, dataset, syntax.IsExplicitVR, syntax.IsBigEndian);
        return new ParsedFile
        {
            Meta = meta,
            Dataset = dataset,
            TransferSyntax = syntax,
            HasPreamble = hasPreamble,
            HasFileMeta = hasMeta,
            PixelData = parser.PixelData,
            Error = parser.Error,
            NeedsMoreData = parser.Error is { Code: DicomErrorCode.TruncatedElement or DicomErrorCode.MissingDelimiter } && knownTotalLength > data.Length,
        };
    }

    private static ParsedFile ParseDeflated(ReadOnlySpan<byte> compressed, int offset, DicomDataset meta, DicomTransferSyntax syntax,
        bool hasPreamble, DicomReaderOptions options)
    {
        // PS3.5 §A.5: the data set is a raw deflate stream (RFC 1951, no zlib header). For metadata
        // (StopAtPixelData) inflate only as far as the parse needs: pixel data are most of the bytes.
        using var inflater = new DeflatedDataSet(compressed.ToArray());
        var target = options.StopAtPixelData ? 64L * 1024 : long.MaxValue;
        while (true)
        {
            var inflateError = inflater.InflateTo(target, options.MaxInputLength);
            if (inflateError is not null)
            {
                var error = inflateError == DicomErrorCode.InputTooLarge
                    ? new DicomError(DicomErrorCode.InputTooLarge, offset, null, $"inflated data set exceeds {options.MaxInputLength} bytes")
                    : new DicomError(DicomErrorCode.InvalidDeflate, offset, null, $"deflated data set at offset {offset} cannot be inflated");
                return Fail(meta, error, hasPreamble, needsMore: false, syntax);
            }

            var inflated = inflater.Inflated;
            var dataset = new DicomDataset(DicomCharacterSet.Default, inInflatedData: true, isBigEndian: false);
            var parser = new DicomDatasetParser(inflated.Span, options, inInflatedData: true, inflater.Finished ? inflated.Length : long.MaxValue);
            parser.ParseTopLevel(0, dataset, explicitVr: true, bigEndian: false);
            var ranOut = parser.Error is { Code: DicomErrorCode.TruncatedElement or DicomErrorCode.MissingDelimiter };
            if (ranOut && !inflater.Finished)
            {
                target = Math.Min(target, long.MaxValue / 2) * 2;
                continue;
            }

            return new ParsedFile
            {
                Meta = meta,
                Dataset = dataset,
                TransferSyntax = syntax,
                HasPreamble = hasPreamble,
                HasFileMeta = true,
                Inflated = inflated,
                PixelData = parser.PixelData,
                Error = parser.Error,
            };
        }
    }

    /// <summary>
    /// DCMTK's guess for a data set without meta: explicit VR when bytes 4–5 are a standard VR; big endian when
    /// the tag's group is unknown little-endian but known big-endian. Unlike DCMTK, a first tag whose group is
    /// unknown in both byte orders is reported as "not a DICOM file" rather than parsed into a confusing error.
    /// </summary>
    internal static bool TryGuessSyntax(ReadOnlySpan<byte> data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DicomTransferSyntax? syntax)
    {
        syntax = null;
        if (data.Length < 8)
        {
            return false;
        }

        var groupLe = BinaryPrimitives.ReadUInt16LittleEndian(data);
        var groupBe = BinaryPrimitives.ReadUInt16BigEndian(data);
        var knownLe = DicomDictionary.IsKnownGroup(groupLe);
        var knownBe = DicomDictionary.IsKnownGroup(groupBe);
        if (!knownLe && !knownBe)
        {
            return false;
        }

        var bigEndian = !knownLe && knownBe;
        var explicitVr = ((DicomVR)((data[4] << 8) | data[5])).IsStandard();
        syntax = new DicomTransferSyntax(null, explicitVr, bigEndian, IsDeflated: false, IsEncapsulated: false);
        return true;
    }

    private static ParsedFile Fail(DicomDataset meta, DicomError error, bool hasPreamble, bool needsMore, DicomTransferSyntax? syntax = null) => new()
    {
        Meta = meta,
        Dataset = new DicomDataset(DicomCharacterSet.Default, inInflatedData: false, isBigEndian: false),
        TransferSyntax = syntax ?? new DicomTransferSyntax(null, IsExplicitVR: true, IsBigEndian: false, IsDeflated: false, IsEncapsulated: false),
        HasPreamble = hasPreamble,
        HasFileMeta = meta.Elements.Count > 0,
        Error = error,
        NeedsMoreData = needsMore,
    };
}
