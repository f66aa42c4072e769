using Carevault.Hl7v2.Types;

namespace Carevault.Hl7v2.Tests.Types;

public class Hl7DateTimeTests
{
    [Theory]
    [InlineData("2024", Hl7DateTimePrecision.Year, "2024-01-01T00:00:00.0000000", null)]
    [InlineData("202402", Hl7DateTimePrecision.Month, "2024-02-01T00:00:00.0000000", null)]
    [InlineData("19620320", Hl7DateTimePrecision.Day, "1962-03-20T00:00:00.0000000", null)]
    [InlineData("2024021310", Hl7DateTimePrecision.Hour, "2024-02-13T10:00:00.0000000", null)]
    [InlineData("198908181126+0215", Hl7DateTimePrecision.Minute, "1989-08-18T11:26:00.0000000", "02:15:00")]
    [InlineData("20230101010000-0000", Hl7DateTimePrecision.Second, "2023-01-01T01:00:00.0000000", "00:00:00")]
    [InlineData("20200214115158.678-0600", Hl7DateTimePrecision.FractionalSecond, "2020-02-14T11:51:58.6780000", "-06:00:00")]
    [InlineData("20210817151943.4+0200", Hl7DateTimePrecision.FractionalSecond, "2021-08-17T15:19:43.4000000", "02:00:00")]
    public void TryParse_ValidValue_KeepsPrecisionAndOffset(string text, Hl7DateTimePrecision precision, string value, string? offset)
    {
        Assert.True(Hl7DateTime.TryParse(text, out Hl7DateTime parsed));

        Assert.Equal(precision, parsed.Precision);
        Assert.Equal(value, parsed.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(offset is null ? null : TimeSpan.Parse(offset, System.Globalization.CultureInfo.InvariantCulture), parsed.Offset);
        Assert.Equal(text, parsed.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("DOB")]
    [InlineData("202")]
    [InlineData("2024021")]
    [InlineData("20240230")]
    [InlineData("20241301")]
    [InlineData("2024010124")]
    [InlineData("202401011260")]
    [InlineData("20240101120060")]
    [InlineData("2024010112.5")]
    [InlineData("20240101120000.")]
    [InlineData("20240101120000.12345678")]
    [InlineData("20240101+1")]
    [InlineData("20240101+2500")]
    [InlineData("20240101+01x0")]
    [InlineData("0000")]
    public void TryParse_InvalidValue_ReturnsFalse(string text)
    {
        Assert.False(Hl7DateTime.TryParse(text, out _));
    }

    [Fact]
    public void ToDateTimeOffset_WithOffset_IsTheInstant()
    {
        Assert.True(Hl7DateTime.TryParse("198908181126+0215", out Hl7DateTime parsed));

        Assert.Equal(new DateTimeOffset(1989, 8, 18, 9, 11, 0, TimeSpan.Zero), parsed.ToDateTimeOffset());
    }

    [Fact]
    public void ToDateTimeOffset_WithoutOffset_IsNull()
    {
        Assert.True(Hl7DateTime.TryParse("20240101", out Hl7DateTime parsed));

        Assert.Null(parsed.ToDateTimeOffset());
    }
}
