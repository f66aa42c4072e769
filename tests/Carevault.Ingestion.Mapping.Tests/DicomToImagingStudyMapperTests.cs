using System.Text;
using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Tests;

public class DicomToImagingStudyMapperTests
{
    [Fact]
    public void Map_CtSmall_ImagingStudyWithSeriesAndInstance()
    {
        JsonObject bundle = TestData.Bundle(TestData.Map(ReportFormat.Dicom, "dicom", "CT_small.dcm"));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        // CT_small has PatientID 1CT1 but no IssuerOfPatientID: the upload's identifier is matched on, 1CT1 kept.
        Assert.Equal($"identifier={TestData.UploadSystem}|{TestData.UploadValue}", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
        Assert.Equal("1CT1", (string?)patient["identifier"]![1]!["value"]);
        Assert.Equal("CompressedSamples", (string?)patient["name"]![0]!["family"]);
        Assert.Equal("CT1", (string?)patient["name"]![0]!["given"]![0]);
        Assert.Equal("other", (string?)patient["gender"]);

        JsonObject study = Assert.Single(TestData.Resources(bundle, "ImagingStudy"));
        Assert.Equal("available", (string?)study["status"]);
        Assert.Equal("urn:dicom:uid", (string?)study["identifier"]![0]!["system"]);
        Assert.Equal("urn:oid:1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", (string?)study["identifier"]![0]!["value"]);
        Assert.Equal("CT", (string?)study["modality"]![0]!["code"]);
        Assert.Equal("http://dicom.nema.org/resources/ontology/DCM", (string?)study["modality"]![0]!["system"]);
        Assert.Equal("2004-01-19", (string?)study["started"]);
        Assert.Equal(1, (int)study["numberOfSeries"]!);
        Assert.Equal(1, (int)study["numberOfInstances"]!);
        Assert.Equal("e+1", (string?)study["description"]);
        JsonNode series = Assert.Single(study["series"]!.AsArray())!;
        Assert.Equal("1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322", (string?)series["uid"]);
        Assert.Equal(1, (int)series["number"]!);
        Assert.Equal("CT", (string?)series["modality"]!["code"]);
        JsonNode instance = Assert.Single(series["instance"]!.AsArray())!;
        Assert.Equal("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", (string?)instance["uid"]);
        Assert.Equal("urn:oid:1.2.840.10008.5.1.4.1.1.2", (string?)instance["sopClass"]!["code"]);
        Assert.Equal("urn:ietf:rfc:3986", (string?)instance["sopClass"]!["system"]);
        Assert.Equal(1, (int)instance["number"]!);
    }

    [Theory]
    [InlineData("MR_small_bigendian.dcm", "MR", "1.3.6.1.4.1.5962.1.2.4.20040826185059.5457", "1.2.840.10008.5.1.4.1.1.4")]
    [InlineData("chrH31.dcm", "OT", "1.3.6.1.4.1.5962.1.2.0.1175775771.5702.0", "1.2.840.10008.5.1.4.1.1.7")]
    [InlineData("CR_6154.dcm", "CR", "1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.1", "1.2.840.10008.5.1.4.1.1.1")]
    public void Map_Samples_AgreeWithDcmdump(string file, string modality, string studyUid, string sopClass)
    {
        JsonObject study = TestData.Resources(TestData.Bundle(TestData.Map(ReportFormat.Dicom, "dicom", file)), "ImagingStudy").Single();

        Assert.Equal("urn:oid:" + studyUid, (string?)study["identifier"]![0]!["value"]);
        Assert.Equal(modality, (string?)study["series"]![0]!["modality"]!["code"]);
        Assert.Equal("urn:oid:" + sopClass, (string?)study["series"]![0]!["instance"]![0]!["sopClass"]!["code"]);
    }

    [Fact]
    public void Map_PatientIdWithIssuer_IsMatchedOnAndBodyPartCoded()
    {
        byte[] file = DicomBuilder.Build(new()
        {
            [(0x0008, 0x0016)] = ("UI", "1.2.840.10008.5.1.4.1.1.2"),
            [(0x0008, 0x0018)] = ("UI", "1.2.3.4.5.6"),
            [(0x0008, 0x0020)] = ("DA", "20240131"),
            [(0x0008, 0x0050)] = ("SH", "ACC-7"),
            [(0x0008, 0x0060)] = ("CS", "CT"),
            [(0x0008, 0x0090)] = ("PN", "House^Gregory"),
            [(0x0010, 0x0010)] = ("PN", "Doe^John^Q^Mr"),
            [(0x0010, 0x0020)] = ("LO", "PAT-9"),
            [(0x0010, 0x0021)] = ("LO", "1.2.840.99.7"),
            [(0x0010, 0x0030)] = ("DA", "19650412"),
            [(0x0010, 0x0040)] = ("CS", "M"),
            [(0x0018, 0x0015)] = ("CS", "CHEST"),
            [(0x0020, 0x000D)] = ("UI", "1.2.3.4"),
            [(0x0020, 0x000E)] = ("UI", "1.2.3.4.5"),
            [(0x0020, 0x0011)] = ("IS", "3"),
            [(0x0020, 0x0013)] = ("IS", "12"),
        });

        JsonObject bundle = TestData.Bundle(ReportMapper.Map(TestData.Input(ReportFormat.Dicom, file, withUploadIdentifier: false)));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal("identifier=urn:oid:1.2.840.99.7|PAT-9", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
        Assert.Single(patient["identifier"]!.AsArray());
        Assert.Equal("Doe", (string?)patient["name"]![0]!["family"]);
        Assert.Equal(["John", "Q"], patient["name"]![0]!["given"]!.AsArray().Select(g => (string)g!));
        Assert.Equal("Mr", (string?)patient["name"]![0]!["prefix"]![0]);
        Assert.Equal("male", (string?)patient["gender"]);
        Assert.Equal("1965-04-12", (string?)patient["birthDate"]);
        JsonObject study = Assert.Single(TestData.Resources(bundle, "ImagingStudy"));
        Assert.Equal("ACC-7", (string?)study["identifier"]![1]!["value"]);
        Assert.Equal("ACSN", (string?)study["identifier"]![1]!["type"]!["coding"]![0]!["code"]);
        Assert.Equal("Gregory House", (string?)study["referrer"]!["display"]);
        Assert.Equal("2024-01-31", (string?)study["started"]);
        JsonNode series = study["series"]![0]!;
        Assert.Equal(3, (int)series["number"]!);
        Assert.Equal("51185008", (string?)series["bodySite"]!["code"]);
        Assert.Equal("http://snomed.info/sct", (string?)series["bodySite"]!["system"]);
        Assert.Equal(12, (int)series["instance"]![0]!["number"]!);
    }

    [Fact]
    public void Map_NoIssuerAndNoUploadIdentifier_ReturnsMissingPatientIdentifier()
    {
        MappingResult result = TestData.Map(ReportFormat.Dicom, "dicom", "CT_small.dcm", withUploadIdentifier: false);

        Assert.Equal("dicom.missing-patient-identifier", result.Error?.Code);
        Assert.DoesNotContain("1CT1", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_NotDicom_ReturnsNotDicom()
    {
        MappingResult result = ReportMapper.Map(TestData.Input(ReportFormat.Dicom, Encoding.ASCII.GetBytes("hello, this is not an image")));

        Assert.Equal("dicom.not-dicom", result.Error?.Code);
    }

    /// <summary>A minimal explicit VR little endian Part 10 file.</summary>
    internal static class DicomBuilder
    {
        public static byte[] Build(SortedDictionary<(ushort Group, ushort Element), (string Vr, string Value)> elements)
        {
            using var stream = new MemoryStream();
            stream.Write(new byte[128]);
            stream.Write("DICM"u8);
            Write(stream, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
            foreach (var ((group, element), (vr, value)) in elements)
            {
                Write(stream, group, element, vr, value);
            }

            return stream.ToArray();
        }

        private static void Write(Stream stream, ushort group, ushort element, string vr, string value)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(value);
            if (bytes.Length % 2 == 1)
            {
                bytes = [.. bytes, vr == "UI" ? (byte)0 : (byte)' '];
            }

            Span<byte> header = stackalloc byte[8];
            BitConverter.TryWriteBytes(header[0..2], group);
            BitConverter.TryWriteBytes(header[2..4], element);
            header[4] = (byte)vr[0];
            header[5] = (byte)vr[1];
            BitConverter.TryWriteBytes(header[6..8], (ushort)bytes.Length);
            stream.Write(header);
            stream.Write(bytes);
        }
    }
}
