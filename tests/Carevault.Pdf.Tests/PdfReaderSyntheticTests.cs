using System.Text;

namespace Carevault.Pdf.Tests;

/// <summary>Hand-built files for paths the samples miss: xref/object streams, CMaps, filters, encodings, updates, repair.</summary>
public class PdfReaderSyntheticTests
{
    private const string HelloContent = "BT /F1 12 Tf 72 720 Td (Hello clinical world) Tj ET";

    [Fact]
    public void Open_WhenXrefStreamAndObjectStream_ResolvesCompressedObjects()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent)
            .Add(6, "<< /Title (Discharge summary) /Author (Dr. A. Patel) /ModDate (D:20240502094500+02'00') >>")
            .Compress(1, 2, 3, 4, 6)
            .BuildWithXrefStream("/Root 1 0 R /Info 6 0 R", objectStreamNumber: 7, xrefStreamNumber: 8);

        var doc = TestFiles.Open(bytes);

        Assert.Equal(PdfDocumentStatus.Ok, doc.Status);
        Assert.Empty(doc.Warnings);
        Assert.Equal("1.5", doc.Version);
        Assert.Equal(1, doc.PageCount);
        Assert.Equal("Discharge summary", doc.Metadata.Title);
        Assert.Equal("Dr. A. Patel", doc.Metadata.Author);
        Assert.Equal(new DateTimeOffset(2024, 5, 2, 9, 45, 0, TimeSpan.FromHours(2)), doc.Metadata.ModDate);
        Assert.Equal("Hello clinical world", TestFiles.Text(doc));
    }

    [Fact]
    public void ExtractText_WhenType0IdentityHWithToUnicode_MapsTwoByteCodes()
    {
        const string cmap = """
            /CIDInit /ProcSet findresource begin 12 dict begin begincmap
            /CMapName /Adobe-Identity-UCS def /CMapType 2 def
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0001> <0048> <0002> <2265> endbfchar
            2 beginbfrange <0010> <0012> <0061> <0020> <0021> [<00DF> <D835DC00>] endbfrange
            endcmap CMapName currentdict /CMap defineresource pop end end
            """;
        var bytes = PdfBuilder.SimplePage("BT /F1 10 Tf 50 700 Td <0001001000110012> Tj ( ) Tj <0002 0020 0021> Tj ET",
                fontBody: "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Noto /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
            .Add(6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+Noto /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 /W [1 [600] 16 18 550] >>")
            .AddStream(7, "", PdfBuilder.Latin1(cmap))
            .BuildWithXrefTable("/Root 1 0 R");

        // ( ) is one byte: no mapping, so no text, but it advances by /DW and leaves a word gap.
        Assert.Equal("Habc ≥ß\U0001D400", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenToUnicodeOnSimpleFont_OverridesEncoding()
    {
        const string cmap = "begincmap 1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <00C5> endbfchar 1 beginbfrange <61> <63> <0078> endbfrange endcmap";
        var bytes = PdfBuilder.SimplePage("BT /F1 12 Tf 72 700 Td (Aabcd) Tj ET",
                fontBody: "<< /Type /Font /Subtype /TrueType /BaseFont /Arial /ToUnicode 6 0 R >>")
            .AddStream(6, "", PdfBuilder.Latin1(cmap))
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("Åxyzd", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenAscii85ThenFlate_DecodesFilterChain()
    {
        var encoded = Ascii85Encode(PdfBuilder.Deflate(HelloContent));
        var bytes = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
            .Add(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
            .AddStream(5, "/Filter [/ASCII85Decode /FlateDecode]", Encoding.ASCII.GetBytes(encoded))
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("Hello clinical world", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenAsciiHexContent_Decodes()
    {
        var hex = Convert.ToHexString(Encoding.ASCII.GetBytes(HelloContent)) + ">";
        var bytes = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents [5 0 R] >>")
            .Add(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
            .AddStream(5, "/Filter /AHx", Encoding.ASCII.GetBytes(hex))
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("Hello clinical world", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Theory]
    [InlineData("/Encoding << /BaseEncoding /WinAnsiEncoding /Differences [65 /eacute /uni2265 /germandbls 70 /u1D400] >>", "(ABCDF) Tj", "é≥ßD\U0001D400")]
    [InlineData("/Encoding /MacRomanEncoding", "(\\216t\\216) Tj", "été")]
    [InlineData("/Encoding /WinAnsiEncoding", "(\\223quoted\\224 \\200 5) Tj", "“quoted” € 5")]
    [InlineData("", "(it\\047s) Tj", "it’s")] // Type 1 without /Encoding: StandardEncoding, 0x27 is quoteright
    public void ExtractText_WhenSimpleFontEncoding_MapsCodes(string encoding, string show, string expected)
    {
        var bytes = PdfBuilder.SimplePage($"BT /F1 12 Tf 72 700 Td {show} ET",
                fontBody: $"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman {encoding} >>")
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal(expected, TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenTjKerningAndPositioning_BreaksWordsAndLines()
    {
        const string content = """
            BT /F1 12 Tf 14 TL 72 720 Td
            [(Hem) -20 (oglobin) -1000 (11.2)] TJ
            T* (second line) Tj
            (third line) '
            2 1 (fourth) "
            ET
            BT /F1 12 Tf 1 0 0 1 300 720 Tm (g/dL) Tj ET
            """;
        var bytes = PdfBuilder.SimplePage(content).BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("Hemoglobin 11.2 g/dL\nsecond line\nthird line\nfourth", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenRunsOutOfOrder_SortsTopToBottomLeftToRight()
    {
        const string content = "BT /F1 10 Tf 200 600 Td (right) Tj ET BT /F1 10 Tf 72 700 Td (top) Tj ET BT /F1 10 Tf 72 600 Td (left) Tj ET";
        var bytes = PdfBuilder.SimplePage(content).BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("top\nleft right", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenFormXObject_IncludesItsText()
    {
        var bytes = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> /XObject << /X1 6 0 R >> >> /Contents 5 0 R >>")
            .Add(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
            .AddStream(5, "", PdfBuilder.Latin1("BT /F1 12 Tf 72 720 Td (Body) Tj ET q 1 0 0 1 0 -100 cm /X1 Do Q /X1 Do"))
            .AddStream(6, "/Type /XObject /Subtype /Form /BBox [0 0 600 800] /Resources << /Font << /F1 4 0 R >> /XObject << /X1 6 0 R >> >>",
                PdfBuilder.Latin1("BT /F1 12 Tf 72 650 Td (Stamp) Tj ET /X1 Do"))
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("Body\nStamp\nStamp", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void ExtractText_WhenInlineImage_SkipsItsData()
    {
        var bytes = PdfBuilder.SimplePage("BI /W 4 /H 1 /BPC 8 /CS /G ID \x00(Tj)\xff EI BT /F1 12 Tf 72 700 Td (after image) Tj ET")
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("after image", TestFiles.Text(TestFiles.Open(bytes)));
    }

    [Fact]
    public void Open_WhenIncrementalUpdate_UsesNewestObjectsThroughPrev()
    {
        var builder = PdfBuilder.SimplePage(HelloContent).Add(6, "<< /Title (Draft) /Producer (Writer A) >>");
        var original = builder.BuildWithXrefTable("/Root 1 0 R /Info 6 0 R");
        var update = new PdfBuilder()
            .Add(6, "<< /Title (Final report) >>")
            .AddStream(5, "", PdfBuilder.Latin1("BT /F1 12 Tf 72 720 Td (Amended text) Tj ET"));
        var updated = update.AppendUpdate(original, builder.LastXrefOffset, "/Root 1 0 R /Info 6 0 R", size: 7);

        var doc = TestFiles.Open(updated);

        Assert.Equal(PdfDocumentStatus.Ok, doc.Status);
        Assert.Equal("Final report", doc.Metadata.Title);
        Assert.Null(doc.Metadata.Producer);
        Assert.Equal(1, doc.PageCount);
        Assert.Equal("Amended text", TestFiles.Text(doc));
    }

    [Fact]
    public void Open_WhenStartxrefPointsNowhere_ReconstructsFromObjects()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent).Add(6, "<< /Title (Repaired) >>").BuildWithXrefTable("/Root 1 0 R /Info 6 0 R");
        var text = Encoding.Latin1.GetString(bytes);
        var at = text.LastIndexOf("startxref\n", StringComparison.Ordinal) + 10;
        var broken = PdfBuilder.Latin1(text[..at] + "99999\n%%EOF\n");

        var doc = TestFiles.Open(broken);

        Assert.Equal(PdfDocumentStatus.Repaired, doc.Status);
        Assert.True(doc.WasRepaired);
        Assert.NotEmpty(doc.Warnings);
        Assert.Equal("Repaired", doc.Metadata.Title);
        Assert.Equal("Hello clinical world", TestFiles.Text(doc));
    }

    [Fact]
    public void Open_WhenNoXrefAndNoTrailer_FindsCatalogByType()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent).BuildWithXrefTable("/Root 1 0 R");
        var text = Encoding.Latin1.GetString(bytes);
        var cut = PdfBuilder.Latin1(text[..text.IndexOf("xref", StringComparison.Ordinal)]);

        var doc = TestFiles.Open(cut);

        Assert.Equal(PdfDocumentStatus.Repaired, doc.Status);
        Assert.Equal(1, doc.PageCount);
        Assert.Equal("Hello clinical world", TestFiles.Text(doc));
    }

    [Fact]
    public void Open_WhenXrefOffsetsShifted_RepairsLazily()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent).BuildWithXrefTable("/Root 1 0 R");
        var text = Encoding.Latin1.GetString(bytes);
        // Insert junk after the header: every recorded offset is now 7 bytes short.
        var shifted = PdfBuilder.Latin1(text.Insert(text.IndexOf("1 0 obj", StringComparison.Ordinal), "%junk\n\n"));

        var doc = TestFiles.Open(shifted);

        Assert.True(doc.WasRepaired);
        Assert.Equal("Hello clinical world", TestFiles.Text(doc));
    }

    [Fact]
    public void Open_WhenStreamLengthWrong_FindsEndstream()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent).BuildWithXrefTable("/Root 1 0 R");
        var text = Encoding.Latin1.GetString(bytes);
        var declared = HelloContent.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var wrong = PdfBuilder.Latin1(text.Replace($"/Length {declared} ", $"/Length {new string('9', declared.Length)} ", StringComparison.Ordinal));

        var doc = TestFiles.Open(wrong);

        Assert.False(doc.WasRepaired); // same width, so xref offsets still hold
        Assert.Equal("Hello clinical world", TestFiles.Text(doc));
    }

    [Fact]
    public void Open_WhenPageTreeHasCycle_StopsAndCountsPagesOnce()
    {
        var bytes = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R 2 0 R 4 0 R] /Count 3 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R >>")
            .Add(4, "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 >>")
            .BuildWithXrefTable("/Root 1 0 R");

        var doc = TestFiles.Open(bytes);

        Assert.Equal(1, doc.PageCount);
        Assert.Equal([""], doc.ExtractText().Value!.Pages);
    }

    [Fact]
    public void Open_WhenReferencesFormACycle_ResolvesToNull()
    {
        var bytes = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>")
            .Add(5, "6 0 R")
            .Add(6, "5 0 R")
            .AddStream(7, "/Length 7 0 R", [])
            .BuildWithXrefTable("/Root 1 0 R");

        var doc = TestFiles.Open(bytes);

        Assert.Same(PdfNull.Instance, doc.Resolve(new PdfReference(5, 0)));
        Assert.True(doc.ExtractText().IsSuccess);
    }

    [Fact]
    public void Open_WhenHexAndEscapedStringsInInfo_DecodesTextStrings()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent)
            .Add(6, "<< /Title <FEFF00470061007200630069006100A0004C00F3007000650073> /Subject (Line\\nbreak \\(x\\) \\101\\\r\nend) /Keywords (\\215PDFDoc\\216) >>")
            .BuildWithXrefTable("/Root 1 0 R /Info 6 0 R");

        var meta = TestFiles.Open(bytes).Metadata;

        Assert.Equal("Garcia\u00A0Lópes", meta.Title);
        Assert.Equal("Line\nbreak (x) Aend", meta.Subject);
        Assert.Equal("\u201CPDFDoc\u201D", meta.Keywords); // PDFDocEncoding 0x8D/0x8E (Annex D.2)
    }

    [Fact]
    public void Open_WhenRc4Encrypted_ReportsHandlerAndHidesStrings()
    {
        var bytes = PdfBuilder.SimplePage(HelloContent, "/OpenAction 7 0 R")
            .Add(6, "<< /Title <8a1f33c2> >>")
            .Add(7, "<< /S /JavaScript /JS <00ff> >>")
            .Add(8, "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <00> /U <00> >>")
            .BuildWithXrefTable("/Root 1 0 R /Info 6 0 R /Encrypt 8 0 R /ID [<01><01>]");

        var doc = TestFiles.Open(bytes);

        Assert.Equal(PdfDocumentStatus.Encrypted, doc.Status);
        Assert.Equal(new PdfEncryptionInfo { Filter = "Standard", V = 2, R = 3, KeyLengthBits = 128 }, doc.Encryption);
        Assert.Equal(new PdfMetadata(), doc.Metadata);
        Assert.Equal(1, doc.PageCount);
        Assert.Contains(doc.ActiveContent, f => f.Kind == PdfActiveContentKind.OpenActionJavaScript && f.ObjectNumber == 7);
        Assert.Equal(PdfErrorKind.Encrypted, doc.ExtractText().Error!.Kind);
    }

    [Fact]
    public void Open_WhenHybridFileWithXRefStm_ReadsObjectsOnlyTheStreamLists()
    {
        // PDF 1.5 hybrid-reference file (§7.5.8.4): a classic table for old readers plus /XRefStm for compressed objects.
        var builder = PdfBuilder.SimplePage(HelloContent).Add(6, "<< /Title (Hybrid) >>").Compress(6);
        var modern = Encoding.Latin1.GetString(builder.BuildWithXrefStream("/Root 1 0 R", objectStreamNumber: 7, xrefStreamNumber: 8));
        var body = modern[..modern.LastIndexOf("startxref", StringComparison.Ordinal)];
        var table = new StringBuilder("xref\n0 6\n0000000000 65535 f \n");
        for (var n = 1; n <= 5; n++) table.Append($"{body.IndexOf($"\n{n} 0 obj", StringComparison.Ordinal) + 1:D10} 00000 n \n");
        var hybrid = PdfBuilder.Latin1(body + table + $"trailer\n<< /Size 9 /Root 1 0 R /Info 6 0 R /XRefStm {builder.LastXrefOffset} >>\nstartxref\n{body.Length}\n%%EOF\n");

        var doc = TestFiles.Open(hybrid);

        Assert.Equal(PdfDocumentStatus.Ok, doc.Status);
        Assert.Equal("Hybrid", doc.Metadata.Title);
        Assert.Equal("Hello clinical world", TestFiles.Text(doc));
    }

    internal static string Ascii85Encode(byte[] data)
    {
        var sb = new StringBuilder("<~");
        for (var i = 0; i < data.Length; i += 4)
        {
            var n = Math.Min(4, data.Length - i);
            uint v = 0;
            for (var k = 0; k < 4; k++) v = (v << 8) | (k < n ? data[i + k] : (byte)0);
            if (n == 4 && v == 0) { sb.Append('z'); continue; }
            var chars = new char[5];
            for (var k = 4; k >= 0; k--) { chars[k] = (char)('!' + (v % 85)); v /= 85; }
            sb.Append(chars, 0, n + 1);
        }
        return sb.Append("~>").ToString();
    }
}
