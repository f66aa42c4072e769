namespace Carevault.Pdf.Tests;

public class ActiveContentScannerTests
{
    private const string Content = "BT /F1 12 Tf 72 720 Td (Hello) Tj ET";

    public static TheoryData<string, string, PdfActiveContentKind, int> Cases => new()
    {
        { "/Names << /JavaScript 6 0 R >>", "<< /Names [(init) 7 0 R] >>", PdfActiveContentKind.JavaScript, 1 },
        { "/OpenAction 6 0 R", "<< /S /Launch /F (cmd.exe) >>", PdfActiveContentKind.Launch, 6 },
        { "/Names << /EmbeddedFiles 6 0 R >>", "<< /Names [(a.exe) << /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>] >>", PdfActiveContentKind.EmbeddedFile, 1 },
        { "/AA << /WC 6 0 R >>", "<< /S /URI /URI (http://example.invalid) >>", PdfActiveContentKind.AdditionalActions, 1 },
        { "/OpenAction 6 0 R", "<< /S /SubmitForm /F << /FS /URL /F (http://127.0.0.1/) >> >>", PdfActiveContentKind.SubmitForm, 6 },
        { "/OpenAction 6 0 R", "<< /S /ImportData /F (data.fdf) >>", PdfActiveContentKind.ImportData, 6 },
        { "/Extra 6 0 R", "<< /Type /Annot /Subtype /RichMedia /RichMediaContent << >> >>", PdfActiveContentKind.RichMedia, 6 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scan_WhenActiveContentPresent_ReportsKindAndObject(string catalogExtra, string object6, PdfActiveContentKind kind, int objectNumber)
    {
        var pdf = PdfBuilder.SimplePage(Content, catalogExtra)
            .Add(6, object6)
            .AddStream(7, "/Type /EmbeddedFile", "app.alert(1)"u8.ToArray())
            .BuildWithXrefTable("/Root 1 0 R");

        var doc = TestFiles.Open(pdf);

        Assert.Contains(doc.ActiveContent, f => f.Kind == kind && f.ObjectNumber == objectNumber);
        Assert.Contains(doc.ActiveContent, f => f.Kind == PdfActiveContentKind.EmbeddedFile && f.ObjectNumber == 7);
    }

    [Fact]
    public void Scan_WhenOpenActionChainsToJavaScriptViaNext_FlagsOpenAction()
    {
        var pdf = PdfBuilder.SimplePage(Content, "/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [6 0 R] >>")
            .Add(6, "<< /S /JavaScript /JS 7 0 R >>")
            .AddStream(7, "", "this.print()"u8.ToArray())
            .BuildWithXrefTable("/Root 1 0 R");

        var findings = TestFiles.Open(pdf).ActiveContent;

        // One finding per kind and object: the /JS key of the same action does not add a second.
        Assert.Equal([new PdfActiveContentFinding(PdfActiveContentKind.JavaScript, 6, "action /S /JavaScript")],
            findings.Where(f => f.Kind == PdfActiveContentKind.JavaScript));
        Assert.Contains(findings, f => f.Kind == PdfActiveContentKind.OpenActionJavaScript && f.ObjectNumber == 6);
    }

    [Fact]
    public void Scan_WhenPageAnnotationHasAdditionalActions_ReportsAnnotationObject()
    {
        var pdf = new PdfBuilder()
            .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Add(3, "<< /Type /Page /Parent 2 0 R /Annots [4 0 R] >>")
            .Add(4, "<< /Type /Annot /Subtype /Widget /AA << /Fo << /S /JavaScript /JS (x) >> >> >>")
            .BuildWithXrefTable("/Root 1 0 R");

        var findings = TestFiles.Open(pdf).ActiveContent;

        Assert.Equal(
        [
            new PdfActiveContentFinding(PdfActiveContentKind.JavaScript, 4, "action /S /JavaScript"),
            new PdfActiveContentFinding(PdfActiveContentKind.AdditionalActions, 4, "/AA additional actions"),
        ], findings);
    }

    [Fact]
    public void Scan_WhenOnlyLinksAndGoTo_ReportsNothing()
    {
        var pdf = PdfBuilder.SimplePage(Content, "/OpenAction [3 0 R /Fit] /Outlines << /Count 0 >>")
            .Add(6, "<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://example.org) >> >>")
            .BuildWithXrefTable("/Root 1 0 R");

        Assert.Empty(TestFiles.Open(pdf).ActiveContent);
    }

    [Fact]
    public void Scan_WhenActionHiddenInObjectStream_StillFound()
    {
        var pdf = PdfBuilder.SimplePage(Content, "/OpenAction 6 0 R")
            .Add(6, "<< /S /Launch /Win << /F (calc.exe) >> >>")
            .Compress(1, 2, 3, 4, 6)
            .BuildWithXrefStream("/Root 1 0 R", 7, 8);

        Assert.Equal([new PdfActiveContentFinding(PdfActiveContentKind.Launch, 6, "action /S /Launch")], TestFiles.Open(pdf).ActiveContent);
    }
}
