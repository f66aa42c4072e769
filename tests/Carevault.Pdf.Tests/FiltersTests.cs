using System.Text;
using Carevault.Pdf.Filters;

namespace Carevault.Pdf.Tests;

public class FiltersTests
{
    [Fact]
    public void Ascii85_WhenKnownVector_Decodes()
    {
        var r = PdfFilters.Ascii85("<~87cURD]i,\"Ebo80~>"u8);

        Assert.Equal(DecodeStatus.Ok, r.Status);
        Assert.Equal("Hello World!", Encoding.ASCII.GetString(r.Data));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Ascii85_WhenRoundTripped_ReturnsOriginal(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        if (length > 8) Array.Clear(data, 0, 8); // exercise 'z'

        var encoded = PdfReaderSyntheticTests.Ascii85Encode(data);
        var r = PdfFilters.Ascii85(Encoding.ASCII.GetBytes(encoded));

        Assert.Equal(data, r.Data);
    }

    [Fact]
    public void AsciiHex_WhenWhitespaceAndOddDigits_PadsWithZero()
    {
        Assert.Equal(new byte[] { 0x48, 0x69, 0x70 }, PdfFilters.AsciiHex("48 69\n7>ignored"u8));
    }

    [Fact]
    public void Lzw_WhenSpecExample_Decodes()
    {
        // ISO 32000-1 §7.4.4.2 example: 45 45 45 45 45 65 45 45 45 66 encodes to 80 0B 60 50 22 0C 0C 85 01.
        var r = Lzw.Decode([0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01], earlyChange: true, limit: 1000);

        Assert.Equal(DecodeStatus.Ok, r.Status);
        Assert.Equal(new byte[] { 0x2D, 0x2D, 0x2D, 0x2D, 0x2D, 0x41, 0x2D, 0x2D, 0x2D, 0x42 }, r.Data);
    }

    [Fact]
    public void Inflate_WhenChecksumDamaged_KeepsDecodedPrefix()
    {
        var compressed = PdfBuilder.Deflate("BT (intact text) Tj ET");
        compressed[^1] ^= 0xFF; // break the Adler-32

        var r = PdfFilters.Inflate(compressed, 1000);

        Assert.Equal("BT (intact text) Tj ET", Encoding.ASCII.GetString(r.Data));
    }

    [Fact]
    public void Inflate_WhenOutputExceedsLimit_ReturnsTooLarge()
    {
        var r = PdfFilters.Inflate(PdfBuilder.Deflate(new byte[100_000]), 50_000);

        Assert.Equal(DecodeStatus.TooLarge, r.Status);
        Assert.Empty(r.Data);
    }

    [Theory]
    [InlineData(1)] // Sub
    [InlineData(2)] // Up
    [InlineData(3)] // Average
    [InlineData(4)] // Paeth
    public void Predictors_WhenPngRowsEncoded_RestoresRows(byte type)
    {
        const int columns = 6, rows = 4, bpp = 3;
        var original = new byte[columns * rows];
        new Random(type).NextBytes(original);
        var encoded = new byte[rows * (columns + 1)];
        for (var r = 0; r < rows; r++)
        {
            encoded[r * (columns + 1)] = type;
            for (var i = 0; i < columns; i++)
            {
                int left = i >= bpp ? original[(r * columns) + i - bpp] : 0;
                int up = r > 0 ? original[((r - 1) * columns) + i] : 0;
                int upLeft = i >= bpp && r > 0 ? original[((r - 1) * columns) + i - bpp] : 0;
                var predictor = type switch { 1 => left, 2 => up, 3 => (left + up) / 2, _ => Paeth(left, up, upLeft) };
                encoded[(r * (columns + 1)) + 1 + i] = unchecked((byte)(original[(r * columns) + i] - predictor));
            }
        }
        var parms = new PdfDictionary(new Dictionary<string, PdfObject>
        {
            ["Predictor"] = new PdfNumber(15, true),
            ["Colors"] = new PdfNumber(3, true),
            ["Columns"] = new PdfNumber(2, true),
        });

        var decoded = Predictors.Apply(encoded, parms, o => o, 1000);

        Assert.Equal(original, decoded);
    }

    [Fact]
    public void Decode_WhenDctImage_RecognisedAsUnsupported()
    {
        var stream = new PdfStream(new PdfDictionary(new Dictionary<string, PdfObject> { ["Filter"] = new PdfName("DCTDecode") }), new byte[] { 0xFF, 0xD8 });

        var r = PdfFilters.Decode(stream, o => o, 1000);

        Assert.Equal(DecodeStatus.Unsupported, r.Status);
        Assert.Equal("DCTDecode", r.Filter);
        Assert.True(PdfFilters.IsImageFilter("CCITTFaxDecode"));
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
