namespace Carevault.Dicom.Tests;

public sealed class DicomMetadataReaderTests
{
    [Theory]
    [MemberData(nameof(TestData.AllFiles), MemberType = typeof(TestData))]
    public void Read_EachSampleFile_AgreesWithDcmdumpGroundTruth(string file)
    {
        var row = TestData.Row(file);
        var result = DicomMetadataReader.Read(TestData.Read(file));

        DicomMetadata? values;
        if (row.IsOk)
        {
            Assert.True(result.IsSuccess, $"{file}: {result.Error}");
            values = result.Value;
        }
        else
        {
            // dcmdump failed: so must we, with a specific reason; then the recovery dcmdump used must give its values.
            Assert.False(result.IsSuccess, $"{file}: dcmdump fails on it but the read succeeded");
            Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
            Assert.Matches(@"offset \d+", result.Error.Message);
            var recovery = row.RecoveryOptions()!;
            if (recovery.StopAfter is not null)
            {
                var recovered = DicomMetadataReader.Read(TestData.Read(file), recovery);
                Assert.True(recovered.IsSuccess, $"{file} with StopAfter: {recovered.Error}");
                values = recovered.Value;
            }
            else
            {
                values = result.Partial;
            }
        }

        Assert.Equal(ExpectedRow.Cell(row.TransferSyntaxUid), values?.TransferSyntaxUid);
        Assert.Equal(ExpectedRow.Cell(row.SopClassUid), values?.Instance.SopClassUid);
        Assert.Equal(ExpectedRow.Cell(row.Modality), values?.Series.Modality);
        Assert.Equal(ExpectedRow.Cell(row.PatientId), values?.Patient.PatientId);
        Assert.Equal(ExpectedRow.Cell(row.StudyInstanceUid), values?.Study.StudyInstanceUid);
        Assert.Equal(ExpectedRow.Cell(row.SpecificCharacterSet), values?.SpecificCharacterSet);
        if (row.TransferSyntaxUid == "(no file meta)")
        {
            Assert.False(values?.HasFileMetaInformation ?? false);
        }
    }

    [Fact]
    public void Read_TruncatedPixelData_FailsWithTruncatedElementAtItsOffset()
    {
        var result = DicomMetadataReader.Read(TestData.Read("MR_truncated.dcm"));

        Assert.False(result.IsSuccess);
        Assert.Equal(DicomErrorCode.TruncatedElement, result.Error.Code);
        Assert.Equal(DicomTags.PixelData, result.Error.Tag);
        Assert.StartsWith("truncated element (7fe0,0010) at offset ", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("value length 8192", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(DicomErrorKind.Validation, result.Error.Kind);
    }

    [Fact]
    public void Read_TruncatedRtPlan_FailsInsideSequenceAndStopAfterRecovers()
    {
        var bytes = TestData.Read("rtplan_truncated.dcm");

        var failed = DicomMetadataReader.Read(bytes);
        var stopped = DicomMetadataReader.Read(bytes, new DicomReaderOptions { StopAfter = DicomTags.SeriesInstanceUid });

        Assert.Equal(DicomErrorCode.TruncatedElement, failed.Error?.Code);
        Assert.Equal(new DicomTag(0x300A, 0x012C), failed.Error?.Tag);
        Assert.True(stopped.IsSuccess);
        Assert.Equal("RTPLAN", stopped.Value.Series.Modality);
    }

    [Fact]
    public void Read_DataSetWithStrayLeadingByte_FailsAsNotDicom()
    {
        var result = DicomMetadataReader.Read(TestData.Read("no_meta.dcm"));

        Assert.Equal(DicomErrorCode.NotDicom, result.Error?.Code);
        Assert.Null(result.Partial);
    }

    [Fact]
    public void Read_DataSetWithoutPreambleOrMeta_GuessesSyntaxLikeDcmtk()
    {
        // no_meta.dcm without its stray first byte is a bare explicit VR little endian data set.
        var bytes = TestData.Read("no_meta.dcm")[1..];

        var result = DicomMetadataReader.Read(bytes);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.False(result.Value.HasFileMetaInformation);
        Assert.Null(result.Value.TransferSyntaxUid);
        Assert.Equal("CT", result.Value.Series.Modality);
        Assert.Equal("1CT1", result.Value.Patient.PatientId);
    }

    [Fact]
    public void Read_ImplicitDataSetWithoutMeta_ReadsLikeTheFullFile()
    {
        var full = TestData.Read("MR_small_implicit.dcm");
        var fromFile = DicomFileReader.Read(full);
        var datasetStart = fromFile.Value!.Dataset.Elements[0].HeaderOffset;

        var bare = DicomMetadataReader.Read(full.AsSpan(datasetStart));
        var withMeta = DicomMetadataReader.Read(full);

        Assert.True(bare.IsSuccess, bare.Error?.ToString());
        Assert.Equal(withMeta.Value!.Patient, bare.Value.Patient);
        Assert.Equal(withMeta.Value.Study, bare.Value.Study);
        Assert.Equal(withMeta.Value.Series, bare.Value.Series);
        Assert.Equal(withMeta.Value.Instance, bare.Value.Instance);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x34, 0x0A, 0x25, 0xE2, 0xE3 })] // "%PDF-1.4"
    public void Read_NonDicomBytes_FailsAsNotDicom(byte[] bytes)
    {
        var result = DicomMetadataReader.Read(bytes);

        Assert.Equal(DicomErrorCode.NotDicom, result.Error?.Code);
        Assert.StartsWith("not a DICOM file", result.Error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CtSmall_FillsEveryModelField()
    {
        var value = DicomMetadataReader.Read(TestData.Read("CT_small.dcm")).Value!;

        Assert.Equal("1CT1", value.Patient.PatientId);
        Assert.Equal("CompressedSamples", value.Patient.Name?.FamilyName);
        Assert.Equal("CT1", value.Patient.Name?.GivenName);
        Assert.Equal(DicomPatientSex.Other, value.Patient.Sex);
        Assert.Equal("1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", value.Study.StudyInstanceUid);
        Assert.Equal(new DateOnly(2004, 1, 19), value.Study.StudyDate);
        Assert.Equal(new TimeOnly(7, 27, 30), value.Study.StudyTime);
        Assert.Equal("CT", value.Series.Modality);
        Assert.Equal("1.2.840.10008.5.1.4.1.1.2", value.Instance.SopClassUid);
        Assert.Equal("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", value.Instance.SopInstanceUid);
        Assert.Equal(1, value.Instance.InstanceNumber);
        Assert.Equal("1.2.840.10008.1.2.1", value.TransferSyntaxUid);
        Assert.Equal("ISO_IR 100", value.SpecificCharacterSet);
        Assert.True(value.HasFileMetaInformation);
        Assert.Equal(32768, value.PixelData?.Length);
        Assert.Equal(DicomVR.OW, value.PixelData?.VR);
        Assert.False(value.PixelData?.IsEncapsulated);
        Assert.Equal(39206 - 126 - 12 - 32768, value.PixelData?.Offset); // (fffc,fffc) OB of 126 bytes follows
    }

    [Theory]
    [InlineData("MR_small_implicit.dcm")]
    [InlineData("MR_small_bigendian.dcm")]
    [InlineData("MR_small_RLE.dcm")]
    [InlineData("MR_small_jpeg_ls_lossless.dcm")]
    public void Read_SameImageInEachTransferSyntax_GivesTheSameMetadata(string file)
    {
        var reference = DicomMetadataReader.Read(TestData.Read("MR_small_implicit.dcm")).Value!;

        var value = DicomMetadataReader.Read(TestData.Read(file)).Value!;

        Assert.Equal(reference.Patient, value.Patient);
        Assert.Equal(reference.Study, value.Study);
        Assert.Equal(reference.Series, value.Series);
        Assert.Equal(reference.Instance, value.Instance);
    }

    [Fact]
    public void Read_EncapsulatedJpeg2000_LocatesFragmentsWithoutDecoding()
    {
        var bytes = TestData.Read("JPEG2000.dcm");

        var pixels = DicomMetadataReader.Read(bytes).Value!.PixelData!;

        Assert.True(pixels.IsEncapsulated);
        Assert.Equal(2, pixels.FragmentCount); // dcmdump: (PixelSequence #=2)
        Assert.Equal(bytes.Length, pixels.Offset + pixels.Length);
    }

    [Fact]
    public void Read_DeflatedFile_LocatesPixelDataInTheInflatedDataSet()
    {
        var value = DicomMetadataReader.Read(TestData.Read("image_dfl.dcm")).Value!;

        Assert.Equal("1.2.840.10008.1.2.1.99", value.TransferSyntaxUid);
        Assert.Equal("OT", value.Series.Modality);
        Assert.True(value.PixelData?.InInflatedData);
        Assert.Equal(262144, value.PixelData?.Length);
    }

    [Theory]
    [InlineData("chrFren.dcm", "Buc^Jérôme", "Buc", "Jérôme", null)]
    [InlineData("chrX1.dcm", "Wang^XiaoDong=王^小東=", "Wang", "XiaoDong", "王^小東")]
    [InlineData("chrH31.dcm", "Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada", "Tarou", "山田^太郎")]
    public void Read_SpecificCharacterSet_DecodesPersonName(string file, string raw, string family, string given, string? ideographic)
    {
        var name = DicomMetadataReader.Read(TestData.Read(file)).Value!.Patient.Name!;

        Assert.Equal(raw, name.Raw);
        Assert.Equal(family, name.FamilyName);
        Assert.Equal(given, name.GivenName);
        Assert.Equal(ideographic, name.Ideographic);
    }

    [Fact]
    public void Read_BadIntegerString_LeavesNumberOfFramesNull()
    {
        var value = DicomMetadataReader.Read(TestData.Read("badVR.dcm")).Value!; // (0028,0008) IS [1A]

        Assert.Null(value.Instance.NumberOfFrames);
        Assert.Equal("RTDOSE", value.Series.Modality);
    }

    [Theory]
    [MemberData(nameof(TestData.AllFiles), MemberType = typeof(TestData))]
    public async Task Read_FromStream_MatchesReadFromSpan(string file)
    {
        var bytes = TestData.Read(file);
        var fromSpan = DicomMetadataReader.Read(bytes);

        using var seekable = new MemoryStream(bytes);
        using var forwardOnly = new ForwardOnlyStream(new MemoryStream(bytes));
        var fromSeekable = DicomMetadataReader.Read(seekable);
        var fromForwardOnly = await DicomMetadataReader.ReadAsync(forwardOnly);

        foreach (var fromStream in new[] { fromSeekable, fromForwardOnly })
        {
            Assert.Equal(fromSpan.IsSuccess, fromStream.IsSuccess);
            Assert.Equal(fromSpan.Error?.Code, fromStream.Error?.Code);
            var expected = fromSpan.Value ?? fromSpan.Partial;
            var actual = fromStream.Value ?? fromStream.Partial;
            Assert.Equal(expected?.Patient, actual?.Patient);
            Assert.Equal(expected?.Study, actual?.Study);
            Assert.Equal(expected?.Series, actual?.Series);
            Assert.Equal(expected?.Instance, actual?.Instance);
            Assert.Equal(expected?.PixelData, actual?.PixelData);
        }
    }

    [Fact]
    public void Read_SeekableStreamWithLargePixelData_ReadsOnlyTheHeader()
    {
        var file = DicomTestFiles.ExplicitLittleEndian(pixelDataLength: 8 * 1024 * 1024);
        using var stream = new CountingStream(new MemoryStream(file));

        var result = DicomMetadataReader.Read(stream);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(8 * 1024 * 1024, result.Value.PixelData?.Length);
        Assert.True(stream.BytesRead <= 64 * 1024, $"read {stream.BytesRead} bytes");
    }

    [Fact]
    public void Read_ForwardOnlyStreamWithTruncatedPixelData_FailsAfterSkippingTheRest()
    {
        var file = DicomTestFiles.ExplicitLittleEndian(pixelDataLength: 1024 * 1024);
        using var stream = new ForwardOnlyStream(new MemoryStream(file[..^10]));

        var result = DicomMetadataReader.Read(stream);

        Assert.Equal(DicomErrorCode.TruncatedElement, result.Error?.Code);
        Assert.Equal("OT", result.Partial?.Series.Modality);
    }

    [Fact]
    public void Read_StreamLongerThanMaxInputLength_FailsAsTooLarge()
    {
        var file = DicomTestFiles.ExplicitLittleEndian(pixelDataLength: 0, paddingElementLength: 300 * 1024);
        using var stream = new ForwardOnlyStream(new MemoryStream(file));

        var result = DicomMetadataReader.Read(stream, new DicomReaderOptions { MaxInputLength = 128 * 1024 });

        Assert.Equal(DicomErrorCode.InputTooLarge, result.Error?.Code);
        Assert.Equal(DicomErrorKind.TooLarge, result.Error?.Kind);
    }

    [Fact]
    public void Read_LargeNonDicomStream_StopsAfterTheFirstChunk()
    {
        var bytes = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0x7F; // group 0x..7F is odd in both byte orders: no plausible first element
        bytes[1] = 0x7F;
        using var stream = new CountingStream(new ForwardOnlyStream(new MemoryStream(bytes)));

        var result = DicomMetadataReader.Read(stream);

        Assert.Equal(DicomErrorCode.NotDicom, result.Error?.Code);
        Assert.True(stream.BytesRead <= 64 * 1024, $"read {stream.BytesRead} bytes");
    }
}
