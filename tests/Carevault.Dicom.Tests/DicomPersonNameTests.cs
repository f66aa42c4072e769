namespace Carevault.Dicom.Tests;

public sealed class DicomPersonNameTests
{
    [Fact]
    public void Parse_AllFiveComponentsAndThreeGroups_FillsEveryField()
    {
        var name = DicomPersonName.Parse("Adams^John Robert Quincy^Q^Rev.^B.A. M.Div.=山田^太郎=やまだ^たろう")!;

        Assert.Equal("Adams", name.FamilyName);
        Assert.Equal("John Robert Quincy", name.GivenName);
        Assert.Equal("Q", name.MiddleName);
        Assert.Equal("Rev.", name.NamePrefix);
        Assert.Equal("B.A. M.Div.", name.NameSuffix);
        Assert.Equal("山田^太郎", name.Ideographic);
        Assert.Equal("やまだ^たろう", name.Phonetic);
        Assert.Equal("Adams^John Robert Quincy^Q^Rev.^B.A. M.Div.=山田^太郎=やまだ^たろう", name.Raw);
    }

    [Fact]
    public void Parse_FamilyOnlyAndMultipleValues_KeepsFirstValue()
    {
        var name = DicomPersonName.Parse("Smith\\Jones^Ann")!;

        Assert.Equal("Smith", name.Raw);
        Assert.Equal("Smith", name.FamilyName);
        Assert.Null(name.GivenName);
        Assert.Null(name.Ideographic);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_Empty_ReturnsNull(string? value) => Assert.Null(DicomPersonName.Parse(value));
}
