namespace Carevault.Dicom.Tests;

public sealed class DicomValueParsersTests
{
    [Theory]
    [InlineData("20040119", 2004, 1, 19)]
    [InlineData("1997.04.30", 1997, 4, 30)]
    [InlineData(" 20000229 ", 2000, 2, 29)]
    public void ParseDate_ValidDA_ReturnsDate(string value, int year, int month, int day) =>
        Assert.Equal(new DateOnly(year, month, day), DicomValueParsers.ParseDate(value));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("20041345")]
    [InlineData("2004-01-19")]
    [InlineData("19000229")]
    public void ParseDate_InvalidDA_ReturnsNull(string? value) => Assert.Null(DicomValueParsers.ParseDate(value));

    [Theory]
    [InlineData("072730", 7, 27, 30, 0)]
    [InlineData("07", 7, 0, 0, 0)]
    [InlineData("0727", 7, 27, 0, 0)]
    [InlineData("072730.123456", 7, 27, 30, 1234560)]
    [InlineData("07:27:30", 7, 27, 30, 0)]
    [InlineData("235960", 23, 59, 59, 0)]
    public void ParseTime_ValidTM_ReturnsTime(string value, int hour, int minute, int second, long fractionTicks) =>
        Assert.Equal(new TimeOnly(hour, minute, second).Add(TimeSpan.FromTicks(fractionTicks)), DicomValueParsers.ParseTime(value));

    [Theory]
    [InlineData(null)]
    [InlineData("7")]
    [InlineData("256000")]
    [InlineData("0727xx")]
    [InlineData("072730.")]
    [InlineData("072730.1234567")]
    public void ParseTime_InvalidTM_ReturnsNull(string? value) => Assert.Null(DicomValueParsers.ParseTime(value));

    [Theory]
    [InlineData("1", 1)]
    [InlineData(" -12 ", -12)]
    [InlineData("+7", 7)]
    [InlineData("3\\4", 3)]
    public void ParseInteger_ValidIS_ReturnsFirstValue(string value, int expected) =>
        Assert.Equal(expected, DicomValueParsers.ParseInteger(value));

    [Theory]
    [InlineData(null)]
    [InlineData("1A")]
    [InlineData("99999999999")]
    [InlineData("1.5")]
    public void ParseInteger_InvalidIS_ReturnsNull(string? value) => Assert.Null(DicomValueParsers.ParseInteger(value));
}
