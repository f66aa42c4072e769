using System.Text;
using Carevault.Dicom.Text;

namespace Carevault.Dicom.Tests.Text;

public sealed class DicomCharacterSetTests
{
    [Theory]
    [InlineData("", new byte[] { 0x41, 0x42 }, "AB")]
    [InlineData("ISO_IR 100", new byte[] { 0x42, 0x75, 0x63, 0x5E, 0x4A, 0xE9, 0x72, 0xF4, 0x6D, 0x65 }, "Buc^Jérôme")]
    [InlineData("ISO_IR 101", new byte[] { 0xA3, 0xF3, 0x64, 0xBC }, "Łódź")]
    [InlineData("ISO_IR 144", new byte[] { 0xB8, 0xD2, 0xD0, 0xDD }, "Иван")]
    [InlineData("ISO_IR 126", new byte[] { 0xC4, 0xE9, 0xEF, 0xED, 0xF5, 0xF3, 0xE9, 0xEF, 0xF2 }, "Διονυσιος")]
    [InlineData("ISO_IR 192", new byte[] { 0x57, 0x61, 0x6E, 0x67, 0x3D, 0xE7, 0x8E, 0x8B }, "Wang=王")]
    [InlineData("GB18030", new byte[] { 0x57, 0x61, 0x6E, 0x67, 0x3D, 0xCD, 0xF5 }, "Wang=王")]
    [InlineData("ISO_IR 13", new byte[] { 0xD4, 0xCF, 0xC0, 0xDE }, "ﾔﾏﾀﾞ")]
    public void Decode_SingleCharacterSet_DecodesExactly(string term, byte[] value, string expected)
    {
        var set = DicomCharacterSet.FromValue(Encoding.ASCII.GetBytes(term));

        Assert.Equal(expected, set.Decode(value, isPersonName: true));
    }

    [Fact]
    public void Decode_Iso2022JapaneseKatakanaAndKanji_DecodesEachGroup()
    {
        // PS3.5 Annex H.3.1: "ISO 2022 IR 13\ISO 2022 IR 87", Yamada Tarou in half-width katakana, kanji and hiragana.
        var set = DicomCharacterSet.FromValue("ISO 2022 IR 13\\ISO 2022 IR 87"u8);
        byte[] value =
        [
            0xD4, 0xCF, 0xC0, 0xDE, 0x5E, 0xC0, 0xDB, 0xB3, 0x3D,
            0x1B, 0x24, 0x42, 0x3B, 0x33, 0x45, 0x44, 0x1B, 0x28, 0x4A, 0x5E,
            0x1B, 0x24, 0x42, 0x42, 0x40, 0x4F, 0x3A, 0x1B, 0x28, 0x4A, 0x3D,
            0x1B, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5E, 0x24, 0x40, 0x1B, 0x28, 0x4A, 0x5E,
            0x1B, 0x24, 0x42, 0x24, 0x3F, 0x24, 0x6D, 0x24, 0x26, 0x1B, 0x28, 0x4A,
        ];

        Assert.Equal("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", set.Decode(value, isPersonName: true));
    }

    [Fact]
    public void Decode_Iso2022Korean_DecodesHangulAndHanja()
    {
        // PS3.5 Annex I.2: "\ISO 2022 IR 149", Hong Gildong.
        var set = DicomCharacterSet.FromValue("\\ISO 2022 IR 149"u8);
        byte[] value =
        [
            .. "Hong^Gildong="u8,
            0x1B, 0x24, 0x29, 0x43, 0xFB, 0xF3, 0x5E, 0x1B, 0x24, 0x29, 0x43, 0xD1, 0xCE, 0xD4, 0xD7, 0x3D,
            0x1B, 0x24, 0x29, 0x43, 0xC8, 0xAB, 0x5E, 0x1B, 0x24, 0x29, 0x43, 0xB1, 0xE6, 0xB5, 0xBF,
        ];

        Assert.Equal("Hong^Gildong=洪^吉洞=홍^길동", set.Decode(value, isPersonName: true));
    }

    [Fact]
    public void Decode_Iso2022ChineseGb2312_DecodesIdeographs()
    {
        // PS3.5 Annex K.2: "\ISO 2022 IR 58", Zhang XiaoDong.
        var set = DicomCharacterSet.FromValue("\\ISO 2022 IR 58"u8);
        byte[] value = [.. "Zhang^XiaoDong="u8, 0x1B, 0x24, 0x29, 0x41, 0xD5, 0xC5, 0x5E, 0x1B, 0x24, 0x29, 0x41, 0xD0, 0xA1, 0xB6, 0xAB, 0x3D];

        Assert.Equal("Zhang^XiaoDong=张^小东=", set.Decode(value, isPersonName: true));
    }

    [Fact]
    public void Decode_Iso2022WithLatinUpperHalfEscape_SwitchesSets()
    {
        var set = DicomCharacterSet.FromValue("ISO 2022 IR 100\\ISO 2022 IR 144"u8);
        byte[] value = [0xE9, 0x5C, 0x1B, 0x2D, 0x4C, 0xB8, 0xD2, 0xD0, 0xDD];

        Assert.Equal("é\\Иван", set.Decode(value, isPersonName: false));
    }

    [Fact]
    public void Decode_UnknownEscapeOrTerm_DoesNotThrowAndKeepsAscii()
    {
        var set = DicomCharacterSet.FromValue("ISO 2022 IR 999\\NONSENSE"u8);
        byte[] value = [0x41, 0x1B, 0x25, 0x47, 0x42, 0xFF, 0x1B];

        var text = set.Decode(value, isPersonName: false);

        Assert.StartsWith("A", text, StringComparison.Ordinal);
        Assert.Contains('B', text);
    }
}
