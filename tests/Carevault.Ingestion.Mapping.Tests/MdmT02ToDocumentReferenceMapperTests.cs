using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Tests;

public class MdmT02ToDocumentReferenceMapperTests
{
    private static byte[] Message(string obx) => Encoding.ASCII.GetBytes(string.Join('\r',
        @"MSH|^~\&|PROSOLV|XYZHOSPITAL|SYSTEM|XYZHOSPITAL|200801311600+0215||MDM^T02^MDM_T02|PS1-1|P|2.5.1",
        "EVN|T02|200801311600+0215",
        "PID|1||987654321^^^XYZ&1.2.840.99&ISO^MR||PROSOLV^SAMPLE||19721201|M",
        "PV1|1|I|CCU^2000^1",
        "TXA|1|DI|TX|200801311555+0215||200801311600+0215||||||1.2.840.317.1^XYZ^1.2.840.99^ISO|||||AU||AV",
        obx) + "\r");

    [Fact]
    public void Map_EmbeddedBase64Pdf_IsTheAttachment()
    {
        byte[] pdf = TestData.Read("pdf", "lab_cbc_riverbend.pdf");
        byte[] message = Message($"OBX|1|ED|18748-4^Diagnostic imaging study^LN||^application^pdf^Base64^{Convert.ToBase64String(pdf)}||||||F");

        JsonObject bundle = TestData.Bundle(ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, message, withUploadIdentifier: false)));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal("identifier=urn:oid:1.2.840.99|987654321", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
        JsonObject document = Assert.Single(TestData.Resources(bundle, "DocumentReference"));
        Assert.Equal("current", (string?)document["status"]);
        Assert.Equal("final", (string?)document["docStatus"]);
        Assert.Equal("urn:oid:1.2.840.99", (string?)document["masterIdentifier"]!["system"]);
        Assert.Equal("1.2.840.317.1", (string?)document["masterIdentifier"]!["value"]);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/v2-0270", (string?)document["type"]!["coding"]![0]!["system"]);
        Assert.Equal("DI", (string?)document["type"]!["coding"]![0]!["code"]);
        Assert.Equal("2008-01-31T16:00:00+02:15", (string?)document["date"]);
        Assert.Equal((string?)TestData.Entry(bundle, patient)["fullUrl"], (string?)document["subject"]!["reference"]);
        JsonNode attachment = Assert.Single(document["content"]!.AsArray())!["attachment"]!;
        Assert.Equal("application/pdf", (string?)attachment["contentType"]);
        Assert.Equal(pdf, Convert.FromBase64String((string)attachment["data"]!));
        Assert.Equal(pdf.Length, (int)attachment["size"]!);
        Assert.Equal(Convert.ToBase64String(SHA1.HashData(pdf)), (string?)attachment["hash"]);
    }

    [Fact]
    public void Map_TextContent_IsAPlainTextAttachment()
    {
        byte[] message = Message("OBX|1|TX|11488-4^Consult note^LN||Line one~Line two||||||F");

        JsonObject bundle = TestData.Bundle(ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, message)));

        JsonNode attachment = TestData.Resources(bundle, "DocumentReference").Single()["content"]![0]!["attachment"]!;
        Assert.Equal("text/plain; charset=utf-8", (string?)attachment["contentType"]);
        Assert.Equal("Line one\nLine two", Encoding.UTF8.GetString(Convert.FromBase64String((string)attachment["data"]!)));
    }

    [Theory]
    [InlineData("OBX|1|ED|18748-4^Doc^LN||^application^pdf^Base64^||||||F")]
    [InlineData("OBX|1|ED|18748-4^Doc^LN||^application^pdf^Base64^not*base64!||||||F")]
    [InlineData("OBX|1|HD|113014^DICOM Study^DCM||1.2.3||||||O")]
    public void Map_NoDecodableContent_ReturnsMissingDocument(string obx)
    {
        MappingResult result = ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, Message(obx)));

        Assert.Null(result.TransactionBundle);
        Assert.Equal("hl7.mdm-missing-document", result.Error?.Code);
    }
}
