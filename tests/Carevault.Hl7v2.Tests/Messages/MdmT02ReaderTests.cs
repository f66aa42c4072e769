using System.Text;
using Carevault.Hl7v2.Messages;

namespace Carevault.Hl7v2.Tests.Messages;

public class MdmT02ReaderTests
{
    [Fact]
    public void Read_SampleWithEmptyEd_MapsTxaAndReportsEmptyData()
    {
        Hl7Message message = Hl7v2Parser.Parse(TestData.Read("ms_mdm_t02_v28_ed_pdf_empty.hl7")).Value!;

        Hl7Result<MdmT02Message> result = MdmT02Reader.Read(message);

        Assert.True(result.IsSuccess);
        MdmT02Message mdm = result.Value;
        Hl7DocumentHeader txa = mdm.Document;
        Assert.Equal(("1", "DI", "TX"), (txa.SetId, txa.DocumentType, txa.ContentPresentation));
        Assert.Equal(new DateTimeOffset(2008, 1, 31, 15, 55, 0, new TimeSpan(2, 15, 0)), txa.ActivityDateTime!.Value.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2008, 1, 31, 16, 0, 0, new TimeSpan(2, 15, 0)), txa.OriginationDateTime!.Value.ToDateTimeOffset());
        Assert.Equal("1.2.840.317.5947431.51.20080131160038", txa.UniqueDocumentNumber!.Value);
        Assert.Equal("1.2.840.317.5947431.51.20080131155715", txa.ParentDocumentNumber!.Value);
        Assert.Equal("00012345", txa.PlacerOrderNumber!.Value);
        Assert.Equal("1-1", txa.FillerOrderNumber!.Value);
        Assert.Equal("AU", txa.CompletionStatus);
        Assert.Equal("PROSOLV", mdm.Patient.Names[0].Family);
        Assert.Equal("I", mdm.Visit!.PatientClass);

        Assert.Equal(2, mdm.Observations.Count);
        Assert.Equal("HD", mdm.Observations[0].ValueType);
        Hl7DocumentContent pdf = Assert.Single(mdm.Contents);
        Assert.Equal(1, pdf.ObservationIndex);
        Assert.Equal("application/pdf", pdf.MediaType);
        Assert.Equal(Hl7WarningCode.EmptyEncapsulatedData, pdf.Problem);
        Assert.True(pdf.Data.IsEmpty);
        Hl7Warning warning = Assert.Single(mdm.Warnings);
        Assert.Equal(Hl7WarningCode.EmptyEncapsulatedData, warning.Code);
        Assert.Equal("segment 13, OBX-5.5", warning.Target);
    }

    private const string Head = "MSH|^~\\&|A|B|C|D|20240101||MDM^T02^MDM_T02|1|P|2.5.1\rPID|1||42^^^H^MR||DOE^JANE\rTXA|1|DS|TX\r";

    [Fact]
    public void Read_EdBase64Pdf_DecodesBytes()
    {
        string pdf = Convert.ToBase64String("%PDF-1.4 tiny"u8);
        Hl7Message message = Hl7v2Parser.Parse(Encoding.ASCII.GetBytes(Head + $"OBX|1|ED|PDF^Report||^application^pdf^Base64^{pdf}||||||F\r")).Value!;

        MdmT02Message mdm = MdmT02Reader.Read(message).Value!;

        Hl7DocumentContent content = Assert.Single(mdm.Contents);
        Assert.Null(content.Problem);
        Assert.Equal("%PDF-1.4 tiny", Encoding.ASCII.GetString(content.Data.Span));
        Assert.Empty(mdm.Warnings);
    }

    [Fact]
    public void Read_EdInvalidBase64_ReportsInvalidBase64()
    {
        Hl7Message message = Hl7v2Parser.Parse(Encoding.ASCII.GetBytes(Head + "OBX|1|ED|PDF^Report||^application^pdf^Base64^@@not base64@@||||||F\r")).Value!;

        MdmT02Message mdm = MdmT02Reader.Read(message).Value!;

        Assert.Equal(Hl7WarningCode.InvalidBase64, Assert.Single(mdm.Contents).Problem);
        Assert.Equal(Hl7WarningCode.InvalidBase64, Assert.Single(mdm.Warnings).Code);
    }

    [Fact]
    public void Read_TxContent_JoinsRepetitionsAsText()
    {
        Hl7Message message = Hl7v2Parser.Parse(Encoding.ASCII.GetBytes(Head + "OBX|1|TX|NOTE||line one~line \\T\\ two||||||F\r")).Value!;

        MdmT02Message mdm = MdmT02Reader.Read(message).Value!;

        Hl7DocumentContent content = Assert.Single(mdm.Contents);
        Assert.Equal("text/plain", content.MediaType);
        Assert.Equal("line one\nline & two", content.Text);
    }

    [Fact]
    public void Read_WithoutTxa_FailsMissingSegment()
    {
        Hl7Message message = Hl7v2Parser.Parse("MSH|^~\\&|A|B|C|D|1||MDM^T02|1|P|2.5\rPID|1||1\r"u8.ToArray()).Value!;

        Assert.Equal("TXA", MdmT02Reader.Read(message).Error!.Target);
    }
}
