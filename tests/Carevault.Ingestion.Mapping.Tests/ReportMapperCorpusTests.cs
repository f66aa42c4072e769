using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Tests;

/// <summary>
/// Every sample in tests/data/{hl7v2,dicom,pdf}: either a transaction Bundle whose every entry passes our FHIR
/// validator, or the specific error listed here — never an exception. Mapping twice gives the identical Bundle.
/// </summary>
public class ReportMapperCorpusTests
{
    private static readonly Dictionary<string, string> ExpectedErrors = new(StringComparer.Ordinal)
    {
        ["dex_malformed_msh2_bad_delimiters.hl7"] = "hl7.invalid-msh2",
        ["rs_malformed_truncated_msh.hl7"] = "hl7.truncated-msh",
        ["ti_malformed_empty_file.hl7"] = "hl7.empty-message",
        ["ti_malformed_missing_msh9.hl7"] = "hl7.missing-msh9",
        ["ins_adt_a31_v22_nondefault_escape_char.hl7"] = "hl7.unsupported-message-type",
        ["ti_epic_orm_o01_v23.hl7"] = "hl7.unsupported-message-type",
        ["rs_adt_a01_escape_sequences.hl7"] = "hl7.missing-segment",
        ["ms_mdm_t02_v28_ed_pdf_empty.hl7"] = "hl7.mdm-missing-document",
        ["GH220_private_sop_class.dcm"] = "dicom.missing-study-uid",
        ["priv_SQ.dcm"] = "dicom.missing-study-uid",
        ["MR_truncated.dcm"] = "dicom.truncated",
        ["rtplan_truncated.dcm"] = "dicom.truncated",
        ["no_meta.dcm"] = "dicom.not-dicom",
        ["lab_cbc_truncated_corrupt.pdf"] = "pdf.damaged",
    };

    public static TheoryData<ReportFormat, string, string> Samples()
    {
        var data = new TheoryData<ReportFormat, string, string>();
        foreach (string file in TestData.Files("hl7v2", "*.hl7"))
        {
            data.Add(ReportFormat.Hl7v2, "hl7v2", file);
        }

        foreach (string file in TestData.Files("dicom", "*.dcm"))
        {
            data.Add(ReportFormat.Dicom, "dicom", file);
        }

        foreach (string file in TestData.Files("pdf", "*.pdf"))
        {
            data.Add(ReportFormat.Pdf, "pdf", file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Map_EverySample_GivesValidBundleOrItsSpecificError(ReportFormat format, string folder, string file)
    {
        MappingResult result = TestData.Map(format, folder, file);

        if (ExpectedErrors.TryGetValue(file, out string? code))
        {
            Assert.Null(result.TransactionBundle);
            Assert.Equal(code, result.Error?.Code);
            Assert.False(string.IsNullOrWhiteSpace(result.Error!.Message));
        }
        else
        {
            JsonObject bundle = TestData.Bundle(result);
            Assert.NotEmpty(TestData.Resources(bundle, "Patient"));
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Map_Twice_GivesIdenticalBundles(ReportFormat format, string folder, string file)
    {
        MappingResult first = TestData.Map(format, folder, file);
        MappingResult second = TestData.Map(format, folder, file);

        Assert.Equal(first.Error, second.Error);
        Assert.Equal(first.TransactionBundle?.ToJsonString(), second.TransactionBundle?.ToJsonString());
    }

    [Fact]
    public void Map_SameFileDifferentHash_GivesDifferentFullUrls()
    {
        byte[] content = TestData.Read("hl7v2", "ms_oru_r01_v251.hl7");
        MappingInput input = TestData.Input(ReportFormat.Hl7v2, content);

        string a = (string)ReportMapper.Map(input).TransactionBundle!["entry"]![0]!["fullUrl"]!;
        string b = (string)ReportMapper.Map(input with { OriginalSha256 = new string('0', 64) }).TransactionBundle!["entry"]![0]!["fullUrl"]!;

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Map_WhenShaMissing_ReturnsInputError()
    {
        MappingInput input = TestData.Input(ReportFormat.Pdf, TestData.Read("pdf", "lab_cbc_riverbend.pdf")) with { OriginalSha256 = " " };

        Assert.Equal("input.missing-sha256", ReportMapper.Map(input).Error?.Code);
    }

    [Fact]
    public void Map_ErrorMessages_NeverContainPatientData()
    {
        // The patient's name and identifier are in the file; the error must name positions, not contents.
        byte[] content = "MSH|^~\\&|LAB|HOSP|||20240101120000+0100||ORU^R01|C1|P|2.5.1\rPID|1||SECRET-ID^^^^MR||Doe^Jane\rOBR|1||F1|1234-5^Test^LN\rOBX|1|NM|1234-5^Test^LN||5|mg/dL|||||F\r"u8.ToArray();

        MappingResult result = ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, content, withUploadIdentifier: false));

        Assert.Equal("hl7.missing-patient-identifier", result.Error?.Code);
        Assert.DoesNotContain("SECRET", result.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Doe", result.Error.Message, StringComparison.Ordinal);
    }
}
