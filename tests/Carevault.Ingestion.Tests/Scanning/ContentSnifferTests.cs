using System.Text;
using Carevault.Ingestion.Scanning;

namespace Carevault.Ingestion.Tests.Scanning;

public sealed class ContentSnifferTests
{
    static byte[] Dicom(string magic = "DICM") => [.. new byte[128], .. Encoding.ASCII.GetBytes(magic)];

    public static TheoryData<ReportFormat, byte[], bool> Cases => new()
    {
        { ReportFormat.Dicom, Dicom(), true },
        { ReportFormat.Dicom, Dicom("DICX"), false },
        { ReportFormat.Dicom, new byte[131], false },                                  // too short for the magic
        { ReportFormat.Pdf, "%PDF-1.7\n"u8.ToArray(), true },
        { ReportFormat.Pdf, " %PDF-1.7"u8.ToArray(), false },
        { ReportFormat.Hl7v2, "MSH|^~\\&|"u8.ToArray(), true },
        { ReportFormat.Hl7v2, "FHS|^~\\&|"u8.ToArray(), true },
        { ReportFormat.Hl7v2, "BHS|^~\\&|"u8.ToArray(), true },
        { ReportFormat.Hl7v2, [0xEF, 0xBB, 0xBF, .. "MSH|^~\\&|"u8.ToArray()], true },
        { ReportFormat.Hl7v2, "PID|1"u8.ToArray(), false },
        { ReportFormat.Hl7v2, "MSH"u8.ToArray(), false },
        { ReportFormat.Fhir, "{\"resourceType\":\"Patient\"}"u8.ToArray(), true },
        { ReportFormat.Fhir, "\r\n  {"u8.ToArray(), true },
        { ReportFormat.Fhir, [0xEF, 0xBB, 0xBF, (byte)'{'], true },
        { ReportFormat.Fhir, "[{}]"u8.ToArray(), false },
        { ReportFormat.Fhir, ""u8.ToArray(), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_ChecksTheFormatsSignature(ReportFormat format, byte[] header, bool expected) =>
        Assert.Equal(expected, ContentSniffer.Matches(format, header));

    [Theory]
    [InlineData("application/hl7-v2", ReportFormat.Hl7v2)]
    [InlineData("x-application/hl7-v2+er7", ReportFormat.Hl7v2)]
    [InlineData("Text/Plain; charset=utf-8", ReportFormat.Hl7v2)]
    [InlineData("application/dicom", ReportFormat.Dicom)]
    [InlineData("application/pdf", ReportFormat.Pdf)]
    [InlineData("application/fhir+json;fhirVersion=4.0", ReportFormat.Fhir)]
    [InlineData("application/zip", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void FromContentType_MapsDeclaredTypes(string? contentType, ReportFormat? expected) =>
        Assert.Equal(expected, ReportFormats.FromContentType(contentType));
}
