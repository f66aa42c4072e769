namespace Carevault.Pdf.Tests;

internal static class TestFiles
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "data", "pdf");

    public static string PathOf(string name) => Path.Combine(Directory, name);

    public static byte[] Read(string name) => File.ReadAllBytes(PathOf(name));

    public static IEnumerable<string> AllPdfNames() =>
        System.IO.Directory.GetFiles(Directory, "*.pdf").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static PdfDocument Open(byte[] bytes, PdfReaderOptions? options = null)
    {
        var result = PdfReader.Open(bytes, options);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value!;
    }

    public static string Text(PdfDocument doc)
    {
        var text = doc.ExtractText();
        Assert.True(text.IsSuccess, text.Error?.ToString());
        return text.Value!.FullText;
    }
}
