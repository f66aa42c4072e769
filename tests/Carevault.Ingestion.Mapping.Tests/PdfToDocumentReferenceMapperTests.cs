using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Tests;

public class PdfToDocumentReferenceMapperTests
{
    [Fact]
    public void Map_LabCbc_DocumentReferenceWithOriginalAndText()
    {
        byte[] pdf = TestData.Read("pdf", "lab_cbc_riverbend.pdf");
        MappingInput input = TestData.Input(ReportFormat.Pdf, pdf, reportType: "Complete blood count") with
        {
            ReportDate = new DateTimeOffset(2026, 11, 20, 9, 30, 0, TimeSpan.FromHours(1)),
        };

        JsonObject bundle = TestData.Bundle(ReportMapper.Map(input));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal($"identifier={TestData.UploadSystem}|{TestData.UploadValue}", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
        JsonObject document = Assert.Single(TestData.Resources(bundle, "DocumentReference"));
        Assert.Equal("current", (string?)document["status"]);
        Assert.Equal("Complete blood count", (string?)document["type"]!["text"]);
        Assert.Equal("2026-11-20T09:30:00+01:00", (string?)document["date"]);
        Assert.Equal("CBC Report", (string?)document["description"]);
        Assert.Equal((string?)TestData.Entry(bundle, patient)["fullUrl"], (string?)document["subject"]!["reference"]);

        JsonArray content = document["content"]!.AsArray();
        Assert.Equal(2, content.Count);
        JsonNode original = content[0]!["attachment"]!;
        Assert.Equal("application/pdf", (string?)original["contentType"]);
        Assert.Equal(input.OriginalUrl, (string?)original["url"]);
        Assert.Equal(pdf.Length, (int)original["size"]!);
        Assert.Equal(Convert.ToBase64String(SHA1.HashData(pdf)), (string?)original["hash"]);
        Assert.Equal("CBC Report", (string?)original["title"]);
        Assert.Equal("2026-11-21T22:09:14+00:00", (string?)original["creation"]);
        Assert.Null(original["data"]);

        JsonNode text = content[1]!["attachment"]!;
        Assert.Equal("text/plain; charset=utf-8", (string?)text["contentType"]);
        string extracted = Encoding.UTF8.GetString(Convert.FromBase64String((string)text["data"]!));
        Assert.StartsWith("Riverbend Community Hospital Laboratory", extracted, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(extracted), (int)text["size"]!);
    }

    [Fact]
    public void Map_NoReportDate_UsesPdfCreationDate()
    {
        JsonObject document = TestData.Resources(TestData.Bundle(TestData.Map(ReportFormat.Pdf, "pdf", "lab_cbc_riverbend.pdf")), "DocumentReference").Single();

        Assert.Equal("2026-11-21T22:09:14+00:00", (string?)document["date"]);
        Assert.Null(document["type"]);
    }

    [Theory]
    [InlineData("lab_lipid_encrypted_aes256_userpw.pdf")]
    [InlineData("urinalysis_scanned_image_only.pdf")]
    public void Map_EncryptedOrScanned_HasOnlyTheOriginalAttachment(string file)
    {
        JsonObject document = TestData.Resources(TestData.Bundle(TestData.Map(ReportFormat.Pdf, "pdf", file)), "DocumentReference").Single();

        JsonNode attachment = Assert.Single(document["content"]!.AsArray())!["attachment"]!;
        Assert.Equal("application/pdf", (string?)attachment["contentType"]);
    }

    [Fact]
    public void Map_WithoutUploadIdentifier_ReturnsMissingPatientIdentifier()
    {
        MappingResult result = TestData.Map(ReportFormat.Pdf, "pdf", "lab_cbc_riverbend.pdf", withUploadIdentifier: false);

        Assert.Null(result.TransactionBundle);
        Assert.Equal("pdf.missing-patient-identifier", result.Error?.Code);
    }

    [Fact]
    public void Map_NotPdf_ReturnsNotPdf()
    {
        Assert.Equal("pdf.not-pdf", ReportMapper.Map(TestData.Input(ReportFormat.Pdf, "just text"u8.ToArray())).Error?.Code);
    }
}
