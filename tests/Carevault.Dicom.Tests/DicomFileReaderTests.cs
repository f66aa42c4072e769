using static Carevault.Dicom.Tests.DicomTestFiles;

namespace Carevault.Dicom.Tests;

public sealed class DicomFileReaderTests
{
    private static readonly DicomTag ContentSequence = new(0x0040, 0xA730);

    [Theory]
    [InlineData(ImplicitLE, false, false)]
    [InlineData(ExplicitLE, true, false)]
    [InlineData(ExplicitBE, true, true)]
    public void Read_NestedSequencesWithDefinedAndUndefinedLengths_BuildsTheTree(string uid, bool isExplicit, bool bigEndian)
    {
        var s = new Syntax(isExplicit, bigEndian);
        var bytes = File(uid,
            TextElement(s, 0x0008, 0x0060, "CS", "SR"),
            Sequence(s, 0x0040, 0xA730, undefinedLength: true,
                Item(s, undefinedLength: true, TextElement(s, 0x0040, 0xA010, "CS", "CONTAINS"),
                    Sequence(s, 0x0040, 0xA730, undefinedLength: false,
                        Item(s, undefinedLength: false, TextElement(s, 0x0040, 0xA160, "UT", "inner text")))),
                Item(s, undefinedLength: false, TextElement(s, 0x0040, 0xA010, "CS", "HAS PROPERTIES"))),
            TextElement(s, 0x0010, 0x0020, "LO", "AFTER"));

        var result = DicomFileReader.Read(bytes);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        var file = result.Value;
        Assert.Equal(uid, file.TransferSyntax.Uid);
        Assert.True(file.Dataset.TryGetElement(ContentSequence, out var sequence));
        Assert.Equal(DicomVR.SQ, sequence.VR);
        Assert.Equal(2, sequence.Items!.Count);
        Assert.Equal("CONTAINS", file.GetString(sequence.Items[0], new DicomTag(0x0040, 0xA010)));
        Assert.Equal("HAS PROPERTIES", file.GetString(sequence.Items[1], new DicomTag(0x0040, 0xA010)));
        Assert.True(sequence.Items[0].TryGetElement(ContentSequence, out var inner));
        Assert.Equal("inner text", file.GetString(inner.Items![0], new DicomTag(0x0040, 0xA160)));
        Assert.Equal("AFTER", file.GetString(file.Dataset, DicomTags.PatientId));
    }

    [Fact]
    public void Read_PrivateSequenceInImplicitVR_ReadsItsItems()
    {
        var s = Syntax.ImplicitLittle;
        var bytes = File(ImplicitLE,
            TextElement(s, 0x0029, 0x0010, "LO", "ACME 1.0"),
            Sequence(s, 0x0029, 0x1001, undefinedLength: true,
                Item(s, undefinedLength: true, TextElement(s, 0x0029, 0x1002, "LO", "private value"))),
            TextElement(s, 0x0010, 0x0020, "LO", "P1"));

        var result = DicomFileReader.Read(bytes);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.True(result.Value.Dataset.TryGetElement(new DicomTag(0x0029, 0x1001), out var sequence));
        Assert.True(sequence.IsUndefinedLength);
        Assert.Single(sequence.Items!);
        Assert.Equal(DicomVR.LO, result.Value.Dataset.Elements[0].VR); // private creator
        Assert.Equal("P1", result.Value.GetString(result.Value.Dataset, DicomTags.PatientId));
    }

    [Fact]
    public void Read_PrivSqSample_KeepsPrivateSequenceAndCreator()
    {
        var result = DicomFileReader.Read(TestData.Read("priv_SQ.dcm"));

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Contains(result.Value.Dataset.Elements, e => e.Tag == new DicomTag(0x3F03, 0x1001));
        Assert.Equal("aaabbbccc MEDICAL SYSTEMS", result.Value.GetString(result.Value.Dataset, new DicomTag(0x3F03, 0x0010)));
    }

    [Fact]
    public void Read_UndefinedLengthUN_ReadsAsImplicitLittleEndianSequence()
    {
        var s = Syntax.ExplicitLittle;
        var implicitItem = Item(Syntax.ImplicitLittle, undefinedLength: true, TextElement(Syntax.ImplicitLittle, 0x0011, 0x1002, "LO", "x1"));
        var bytes = File(ExplicitLE,
            TextElement(s, 0x0011, 0x0010, "LO", "ACME"),
            Concat(Element(s, 0x0011, 0x1001, "UN", [], 0xFFFF_FFFF), implicitItem, Concat(new byte[] { 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0 })),
            TextElement(s, 0x0010, 0x0020, "LO", "P2"));

        var result = DicomFileReader.Read(bytes);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.True(result.Value.Dataset.TryGetElement(new DicomTag(0x0011, 0x1001), out var un));
        Assert.Equal("x1", result.Value.GetString(un.Items![0], new DicomTag(0x0011, 0x1002)));
        Assert.Equal("P2", result.Value.GetString(result.Value.Dataset, DicomTags.PatientId));
    }

    [Fact]
    public void Read_NonStandardVR_AssumesFourByteLengthLikeDcmtk()
    {
        var s = Syntax.ExplicitLittle;
        var bytes = File(ExplicitLE,
            Element(s, 0x0009, 0x1010, "ZZ", [1, 2, 3, 4]),
            TextElement(s, 0x0010, 0x0020, "LO", "P3"));

        var result = DicomFileReader.Read(bytes);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal((DicomVR)(('Z' << 8) | 'Z'), result.Value.Dataset.Elements[0].VR);
        Assert.Equal(4, result.Value.Dataset.Elements[0].Length);
        Assert.Equal("P3", result.Value.GetString(result.Value.Dataset, DicomTags.PatientId));
    }

    [Fact]
    public void Read_SequenceDeeperThanMaxDepth_FailsAsNestingTooDeep()
    {
        var s = Syntax.ExplicitLittle;
        var bytes = File(ExplicitLE, NestedSequences(s, 5));

        var within = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxDepth = 5 });
        var beyond = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxDepth = 4 });

        Assert.True(within.IsSuccess, within.Error?.ToString());
        Assert.Equal(DicomErrorCode.NestingTooDeep, beyond.Error?.Code);
        Assert.Equal(DicomErrorKind.TooLarge, beyond.Error?.Kind);
    }

    [Fact]
    public void Read_ThousandsOfNestedSequences_FailsWithoutStackOverflow()
    {
        var bytes = File(ExplicitLE, NestedSequences(Syntax.ExplicitLittle, 5000));

        var result = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxDepth = int.MaxValue });

        Assert.Equal(DicomErrorCode.NestingTooDeep, result.Error?.Code);
    }

    [Fact]
    public void Read_SequenceWithMoreItemsThanMaxItems_FailsAsTooManyItems()
    {
        var s = Syntax.ExplicitLittle;
        var items = Enumerable.Range(0, 11).Select(_ => Item(s, undefinedLength: false, TextElement(s, 0x0008, 0x0100, "SH", "C"))).ToArray();
        var bytes = File(ExplicitLE, Sequence(s, 0x0008, 0x1032, undefinedLength: false, items));

        var within = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxItems = 11 });
        var beyond = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxItems = 10 });

        Assert.True(within.IsSuccess, within.Error?.ToString());
        Assert.Equal(DicomErrorCode.TooManyItems, beyond.Error?.Code);
    }

    [Fact]
    public void Read_EncapsulatedPixelDataWithMoreFragmentsThanMaxItems_FailsAsTooManyItems()
    {
        var result = DicomFileReader.Read(TestData.Read("JPEG2000.dcm"), new DicomReaderOptions { MaxItems = 1 });

        Assert.Equal(DicomErrorCode.TooManyItems, result.Error?.Code);
    }

    [Fact]
    public void Read_ElementLongerThanMaxElementLength_FailsAsElementTooLarge()
    {
        var s = Syntax.ExplicitLittle;
        var bytes = File(ExplicitLE, Element(s, 0x0009, 0x1010, "OB", new byte[1000]));

        var within = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxElementLength = 1000 });
        var beyond = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxElementLength = 999 });

        Assert.True(within.IsSuccess, within.Error?.ToString());
        Assert.Equal(DicomErrorCode.ElementTooLarge, beyond.Error?.Code);
        Assert.Equal(new DicomTag(0x0009, 0x1010), beyond.Error?.Tag);
    }

    [Fact]
    public void Read_MoreElementsThanMaxElements_FailsAsTooManyElements()
    {
        var s = Syntax.ExplicitLittle;
        var bytes = File(ExplicitLE, [.. Enumerable.Range(0, 20).Select(i => TextElement(s, 0x0009, (ushort)(0x1000 + i), "LO", "v"))]);

        var result = DicomFileReader.Read(bytes, new DicomReaderOptions { MaxElements = 19 });

        Assert.Equal(DicomErrorCode.TooManyElements, result.Error?.Code);
        Assert.Equal(14, result.Partial?.Dataset.Elements.Count); // 5 of the 19 are file meta elements
    }

    [Fact]
    public void Read_DeflatedDataSetLargerThanMaxInputLength_FailsAsInputTooLarge()
    {
        var result = DicomFileReader.Read(TestData.Read("image_dfl.dcm"), new DicomReaderOptions { MaxInputLength = 4096 });

        Assert.Equal(DicomErrorCode.InputTooLarge, result.Error?.Code);
    }

    [Fact]
    public void Read_CorruptDeflateStream_FailsAsInvalidDeflate()
    {
        var bytes = TestData.Read("Issue1097_deflated_with_SQ.dcm");
        var file = DicomFileReader.Read(bytes).Value!;
        var datasetStart = file.FileMetaInformation.Elements[^1].ValueOffset + (int)file.FileMetaInformation.Elements[^1].Length;
        bytes[datasetStart] = 0xFF; // BTYPE 11 is reserved in RFC 1951
        bytes[datasetStart + 1] = 0xFF;

        var result = DicomFileReader.Read(bytes);

        Assert.Equal(DicomErrorCode.InvalidDeflate, result.Error?.Code);
    }

    [Fact]
    public void Read_DeflatedFileWithSequence_ReadsSequenceItems()
    {
        var result = DicomFileReader.Read(TestData.Read("Issue1097_deflated_with_SQ.dcm"));

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.True(result.Value.TransferSyntax.IsDeflated);
        Assert.True(result.Value.Dataset.InInflatedData);
        Assert.Contains(result.Value.Dataset.Elements, e => e.Items is { Count: > 0 });
    }

    [Fact]
    public void Read_TruncatedItem_ReportsTruncationWithOffset()
    {
        var s = Syntax.ExplicitLittle;
        var bytes = File(ExplicitLE, Sequence(s, 0x0008, 0x1032, undefinedLength: true, Item(s, undefinedLength: true, TextElement(s, 0x0008, 0x0100, "SH", "CODE"))));

        var result = DicomFileReader.Read(bytes.AsMemory(0, bytes.Length - 8)); // drop the sequence delimiter

        Assert.Equal(DicomErrorCode.MissingDelimiter, result.Error?.Code);
        Assert.Matches(@"offset \d+", result.Error?.Message);
    }

    [Fact]
    public void Read_NonItemInsideSequence_FailsAsUnexpectedTag()
    {
        var s = Syntax.ExplicitLittle;
        var bytes = File(ExplicitLE, Sequence(s, 0x0008, 0x1032, undefinedLength: false, TextElement(s, 0x0008, 0x0100, "SH", "CODE")));

        var result = DicomFileReader.Read(bytes);

        Assert.Equal(DicomErrorCode.UnexpectedTag, result.Error?.Code);
        Assert.Equal(new DicomTag(0x0008, 0x0100), result.Error?.Tag);
    }

    [Fact]
    public void Read_BigEndianFile_ReadsBinaryValuesInItsByteOrder()
    {
        var file = DicomFileReader.Read(TestData.Read("MR_small_bigendian.dcm")).Value!;
        var implicitFile = DicomFileReader.Read(TestData.Read("MR_small_implicit.dcm")).Value!;
        var rows = new DicomTag(0x0028, 0x0010);

        Assert.True(file.TransferSyntax.IsBigEndian);
        Assert.Equal((ushort)64, file.GetUInt16(file.Dataset, rows));
        Assert.Equal((ushort)64, implicitFile.GetUInt16(implicitFile.Dataset, rows));
    }

    [Fact]
    public void Read_IconImageSequence_KeepsTopLevelPixelDataApartFromTheIcon()
    {
        var bytes = TestData.Read("JPEGwithIcon_XC.dcm");

        var file = DicomFileReader.Read(bytes).Value!;

        Assert.True(file.PixelData?.IsEncapsulated);
        Assert.Equal(file.Dataset.Elements.Last(e => e.Tag == DicomTags.PixelData).ValueOffset, file.PixelData?.Offset);
        Assert.Contains(file.Dataset.Elements, e => e.Tag == new DicomTag(0x0088, 0x0200) && e.Items!.Count == 1);
    }

    [Fact]
    public void Read_MetaWithoutPreamble_ReadsLikeWithPreamble()
    {
        var bytes = TestData.Read("CT_small.dcm");

        var result = DicomFileReader.Read(bytes.AsMemory(132));

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.False(result.Value.HasPreamble);
        Assert.True(result.Value.HasFileMetaInformation);
        Assert.Equal("1CT1", result.Value.GetString(result.Value.Dataset, DicomTags.PatientId));
    }
}
