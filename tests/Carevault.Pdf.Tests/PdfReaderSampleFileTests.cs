namespace Carevault.Pdf.Tests;

/// <summary>Expected values per file of tests/data/pdf (see SOURCES.md there).</summary>
public class PdfReaderSampleFileTests
{
    private static readonly DateTimeOffset LibreOfficeCreated = new(2026, 11, 21, 22, 9, 14, TimeSpan.Zero);

    public static TheoryData<string, int, string?, string?> TextLayerFiles => new()
    {
        { "lab_cbc_riverbend.pdf", 1, "CBC Report", "WBC 11.8 H 10*3/uL 4.0-11.0 6690-2" },
        { "lab_cmp_utf8_names.pdf", 1, "Comprehensive Metabolic Panel", "Patient: GARCÍA-LÓPEZ, JOSÉ" },
        { "surgical_pathology_report.pdf", 1, "Surgical Pathology Report", "1. Sigmoid colon, polyp 1, polypectomy: TUBULAR ADENOMA." },
        { "lab_glucose_with_openaction_javascript.pdf", 1, null, "Patient: TEST, JAVASCRIPT  MRN: 00999001  Glucose 98 mg/dL (70-99)" },
    };

    [Theory]
    [MemberData(nameof(TextLayerFiles))]
    public void Open_WhenFileHasTextLayer_ReadsPagesTitleAndText(string file, int pages, string? title, string? expectedLine)
    {
        var doc = TestFiles.Open(TestFiles.Read(file));

        Assert.Equal(pages, doc.PageCount);
        Assert.Equal(title, doc.Metadata.Title);
        Assert.False(doc.IsEncrypted);
        Assert.Equal(PdfDocumentStatus.Ok, doc.Status);
        var text = doc.ExtractText();
        Assert.True(text.IsSuccess);
        Assert.True(text.Value!.HasTextLayer);
        Assert.Equal(pages, text.Value.Pages.Count);
        Assert.Contains(expectedLine!, text.Value.FullText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lab_cbc_riverbend.pdf", "CBC Report")]
    [InlineData("lab_cmp_utf8_names.pdf", "Comprehensive Metabolic Panel")]
    [InlineData("surgical_pathology_report.pdf", "Surgical Pathology Report")]
    public void Open_WhenLibreOfficeFile_ReadsWholeInfoDictionary(string file, string title)
    {
        var doc = TestFiles.Open(TestFiles.Read(file));

        Assert.Equal("1.6", doc.Version);
        Assert.Equal(new PdfMetadata
        {
            Title = title,
            Creator = "Writer",
            Producer = "LibreOffice 7.4",
            CreationDate = LibreOfficeCreated,
        }, doc.Metadata);
        Assert.Empty(doc.ActiveContent);
        Assert.Empty(doc.Warnings);
    }

    [Fact]
    public void ExtractText_WhenNonAsciiGlyphs_MapsThroughToUnicode()
    {
        var text = TestFiles.Text(TestFiles.Open(TestFiles.Read("lab_cmp_utf8_names.pdf")));

        Assert.Contains("GARCÍA-LÓPEZ, JOSÉ", text, StringComparison.Ordinal);
        Assert.Contains("1.73m²", text, StringComparison.Ordinal);
        Assert.Contains("≥60", text, StringComparison.Ordinal);
        Assert.Contains("Potassium 5.4 H mmol/L 3.5-5.1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtractText_WhenTable_KeepsRowsTogetherInReadingOrder()
    {
        var lines = TestFiles.Text(TestFiles.Open(TestFiles.Read("lab_cbc_riverbend.pdf"))).Split('\n');

        var header = Array.IndexOf(lines, "Test Result Flag Units Reference range LOINC");
        Assert.True(header > 0);
        Assert.Equal("WBC 11.8 H 10*3/uL 4.0-11.0 6690-2", lines[header + 1]);
        Assert.Equal("Lymphocytes 14 L % 20-45 736-9", lines[header + 8]);
        Assert.Equal("Riverbend Community Hospital Laboratory", lines[0]);
        Assert.Equal("FICTIONAL TEST DOCUMENT - contains no real patient data.", lines[^1]);
    }

    [Fact]
    public void Open_WhenOpenActionJavaScript_ReportsFindingsWithObjectNumbers()
    {
        var doc = TestFiles.Open(TestFiles.Read("lab_glucose_with_openaction_javascript.pdf"));

        Assert.True(doc.HasActiveContent);
        Assert.Equal(
        [
            new PdfActiveContentFinding(PdfActiveContentKind.JavaScript, 5, "action /S /JavaScript"),
            new PdfActiveContentFinding(PdfActiveContentKind.OpenActionJavaScript, 5, "catalog (object 1) /OpenAction runs JavaScript"),
        ], doc.ActiveContent);
        Assert.Equal("1.7", doc.Version);
        Assert.Equal(new PdfMetadata(), doc.Metadata);
    }

    [Fact]
    public void Open_WhenEncryptedAes256_ReportsEncryptionAndStructureButNoStrings()
    {
        var doc = TestFiles.Open(TestFiles.Read("lab_lipid_encrypted_aes256_userpw.pdf"));

        Assert.True(doc.IsEncrypted);
        Assert.Equal(PdfDocumentStatus.Encrypted, doc.Status);
        Assert.Equal(new PdfEncryptionInfo { Filter = "Standard", V = 5, R = 6, KeyLengthBits = 256, CryptFilterMethod = "AESV3" }, doc.Encryption);
        Assert.Equal(1, doc.PageCount);
        Assert.Equal("1.7", doc.Version);
        Assert.Equal(new PdfMetadata(), doc.Metadata); // Info strings are encrypted: unreadable, so absent
        Assert.Empty(doc.ActiveContent);
        var text = doc.ExtractText();
        Assert.False(text.IsSuccess);
        Assert.Equal(PdfErrorKind.Encrypted, text.Error!.Kind);
        Assert.Equal("encrypted", text.Error.Code);
    }

    [Fact]
    public void ExtractText_WhenScannedImageOnly_FlagsNoTextLayer()
    {
        var doc = TestFiles.Open(TestFiles.Read("urinalysis_scanned_image_only.pdf"));

        Assert.Equal(1, doc.PageCount);
        Assert.Equal("1.3", doc.Version);
        Assert.Equal(new PdfMetadata
        {
            Producer = "img2pdf 0.4.4",
            CreationDate = new DateTimeOffset(2026, 11, 21, 22, 9, 22, TimeSpan.Zero),
            ModDate = new DateTimeOffset(2026, 11, 21, 22, 9, 22, TimeSpan.Zero),
        }, doc.Metadata);
        Assert.Empty(doc.ActiveContent);
        var text = doc.ExtractText();
        Assert.True(text.IsSuccess);
        Assert.False(text.Value!.HasTextLayer);
        Assert.Equal([""], text.Value.Pages);
    }

    [Fact]
    public void Open_WhenTruncatedWithoutTrailerOrCatalog_ReturnsDamagedError()
    {
        var result = PdfReader.Open(TestFiles.Read("lab_cbc_truncated_corrupt.pdf"));

        Assert.False(result.IsSuccess);
        Assert.Equal(PdfErrorKind.Damaged, result.Error!.Kind);
        Assert.Equal("no-catalog", result.Error.Code);
        Assert.Contains("no trailer", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lab_cbc_riverbend.pdf")]
    [InlineData("lab_cmp_utf8_names.pdf")]
    [InlineData("surgical_pathology_report.pdf")]
    [InlineData("urinalysis_scanned_image_only.pdf")]
    [InlineData("lab_lipid_encrypted_aes256_userpw.pdf")]
    public void Open_WhenCleanFile_HasNoActiveContentFindings(string file)
    {
        Assert.Empty(TestFiles.Open(TestFiles.Read(file)).ActiveContent);
    }
}
