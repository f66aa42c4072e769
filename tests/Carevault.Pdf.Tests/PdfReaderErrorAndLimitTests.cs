using System.Text;

namespace Carevault.Pdf.Tests;

public class PdfReaderErrorAndLimitTests
{
    private const string HelloContent = "BT /F1 12 Tf 72 720 Td (Hello) Tj ET";

    [Theory]
    [InlineData("")]
    [InlineData("MSH|^~\\&|LAB|")]
    [InlineData("%PDF")]
    [InlineData("<html>%PD F-1.4</html>")]
    public void Open_WhenNoPdfHeader_ReturnsNotPdf(string content)
    {
        var result = PdfReader.Open(Encoding.ASCII.GetBytes(content));

        Assert.False(result.IsSuccess);
        Assert.Equal(new PdfError(PdfErrorKind.NotPdf, "not-a-pdf", "not a PDF: no %PDF- header in the first 1024 bytes"), result.Error);
    }

    [Theory]
    [InlineData("%PDF-1.4\n")]
    [InlineData("%PDF-1.7\n%\u00e2\u00e3\n1 0 ob")]
    public void Open_WhenHeaderOnly_ReturnsTruncatedNoObjects(string content)
    {
        var result = PdfReader.Open(Encoding.Latin1.GetBytes(content));

        Assert.Equal(new PdfError(PdfErrorKind.Damaged, "truncated", "truncated: no trailer and no objects recoverable"), result.Error);
    }

    [Fact]
    public void Open_WhenJunkBeforeHeader_StillReads()
    {
        var pdf = PdfBuilder.SimplePage(HelloContent).BuildWithXrefTable("/Root 1 0 R");
        var withJunk = Encoding.ASCII.GetBytes("junk from a mail gateway\r\n").Concat(pdf).ToArray();

        var doc = TestFiles.Open(withJunk);

        Assert.Equal(1, doc.PageCount);
        Assert.Equal("Hello", TestFiles.Text(doc));
    }

    [Fact]
    public void Open_WhenFileLargerThanLimit_ReturnsTooLarge()
    {
        var pdf = PdfBuilder.SimplePage(HelloContent).BuildWithXrefTable("/Root 1 0 R");

        var result = PdfReader.Open(pdf, new PdfReaderOptions { MaxFileBytes = 100 });

        Assert.Equal(PdfErrorKind.TooLarge, result.Error!.Kind);
        Assert.Equal("limit-file-size", result.Error.Code);
        Assert.True(PdfReader.Open(pdf, new PdfReaderOptions { MaxFileBytes = pdf.Length }).IsSuccess);
    }

    [Fact]
    public void Open_WhenXrefDeclaresMoreObjectsThanLimit_ReturnsTooLarge()
    {
        var pdf = PdfBuilder.SimplePage(HelloContent).BuildWithXrefTable("/Root 1 0 R");

        var result = PdfReader.Open(pdf, new PdfReaderOptions { MaxObjects = 3 });

        Assert.Equal(PdfErrorKind.TooLarge, result.Error!.Kind);
        Assert.Equal("limit-objects", result.Error.Code);
        Assert.True(PdfReader.Open(pdf, new PdfReaderOptions { MaxObjects = 6 }).IsSuccess);
    }

    [Fact]
    public void Open_WhenReconstructionFindsMoreObjectsThanLimit_ReturnsTooLarge()
    {
        var sb = new StringBuilder("%PDF-1.4\n");
        for (var i = 1; i <= 50; i++) sb.Append(i).Append(" 0 obj\n<< >>\nendobj\n");

        var result = PdfReader.Open(Encoding.ASCII.GetBytes(sb.ToString()), new PdfReaderOptions { MaxObjects = 20 });

        Assert.Equal("limit-objects", result.Error!.Code);
    }

    [Fact]
    public void ExtractText_WhenStreamInflatesBeyondLimit_ReturnsTooLargeNotOutOfMemory()
    {
        // 16 MiB of spaces deflate to ~16 KiB: a small zip bomb.
        var bomb = PdfBuilder.Deflate(new byte[16 * 1024 * 1024].Select(_ => (byte)' ').ToArray());
        var pdf = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>")
            .AddStream(5, "/Filter /FlateDecode", bomb)
            .BuildWithXrefTable("/Root 1 0 R");
        var options = new PdfReaderOptions { MaxDecodedStreamBytes = 1024 * 1024 };

        var text = TestFiles.Open(pdf, options).ExtractText();

        Assert.False(text.IsSuccess);
        Assert.Equal(new PdfError(PdfErrorKind.TooLarge, "limit-stream-size", "a stream decodes to more than 1048576 bytes"), text.Error);
        Assert.True(TestFiles.Open(pdf, new PdfReaderOptions { MaxDecodedStreamBytes = 17 * 1024 * 1024 }).ExtractText().IsSuccess);
    }

    [Fact]
    public void ExtractText_WhenTotalDecodedExceedsLimit_ReturnsTooLarge()
    {
        var content = PdfBuilder.Deflate(Encoding.ASCII.GetBytes(HelloContent + new string(' ', 5000)));
        var pdf = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Contents [5 0 R 5 0 R 5 0 R] >>")
            .AddStream(5, "/Filter /FlateDecode", content)
            .BuildWithXrefTable("/Root 1 0 R");

        var text = TestFiles.Open(pdf, new PdfReaderOptions { MaxTotalDecodedBytes = 12_000 }).ExtractText();

        Assert.Equal("limit-stream-size", text.Error!.Code);
        Assert.Contains("in total", text.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WhenNestingDeeperThanLimit_ReturnsTooLarge()
    {
        var deep = new string('[', 40) + new string(']', 40);
        var pdf = PdfBuilder.SimplePage(HelloContent, catalogExtra: $"/Deep {deep}").BuildWithXrefTable("/Root 1 0 R");

        var result = PdfReader.Open(pdf, new PdfReaderOptions { MaxNestingDepth = 32 });

        Assert.Equal(new PdfError(PdfErrorKind.TooLarge, "limit-nesting", "nesting deeper than 32 levels"), result.Error);
        Assert.True(PdfReader.Open(pdf, new PdfReaderOptions { MaxNestingDepth = 48 }).IsSuccess);
    }

    [Fact]
    public void Open_WhenMorePagesThanLimit_ReturnsTooLarge()
    {
        var builder = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>");
        for (var i = 3; i <= 5; i++) builder.Add(i, "<< /Type /Page /Parent 2 0 R >>");
        var pdf = builder.BuildWithXrefTable("/Root 1 0 R");

        var result = PdfReader.Open(pdf, new PdfReaderOptions { MaxPages = 2 });

        Assert.Equal(new PdfError(PdfErrorKind.TooLarge, "limit-pages", "more than 2 pages"), result.Error);
        Assert.Equal(3, TestFiles.Open(pdf, new PdfReaderOptions { MaxPages = 3 }).PageCount);
    }

    [Fact]
    public void Open_WhenPageTreeDeeperThanLimit_ReturnsTooLarge()
    {
        var builder = new PdfBuilder().Add(1, "<< /Type /Catalog /Pages 2 0 R >>");
        for (var i = 2; i < 12; i++) builder.Add(i, $"<< /Type /Pages /Kids [{i + 1} 0 R] /Count 1 >>");
        builder.Add(12, "<< /Type /Page >>");
        var pdf = builder.BuildWithXrefTable("/Root 1 0 R");

        Assert.Equal("limit-nesting", PdfReader.Open(pdf, new PdfReaderOptions { MaxNestingDepth = 5 }).Error!.Code);
        Assert.Equal(1, TestFiles.Open(pdf, new PdfReaderOptions { MaxNestingDepth = 16 }).PageCount);
    }

    [Fact]
    public void ExtractText_WhenImageFilterOnContent_WarnsAndSkips()
    {
        var pdf = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>")
            .AddStream(5, "/Filter /JBIG2Decode", [1, 2, 3])
            .BuildWithXrefTable("/Root 1 0 R");

        var text = TestFiles.Open(pdf).ExtractText().Value!;

        Assert.False(text.HasTextLayer);
        Assert.Equal(["page 1: content stream uses unsupported filter JBIG2Decode"], text.Warnings);
    }
}
