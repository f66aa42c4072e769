using Carevault.Records.Search;

namespace Carevault.Records.Tests.Search;

public sealed class FhirDateRangeTests
{
    static long Ms(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    [Theory]
    [InlineData("2016", "2016-01-01T00:00:00Z", "2016-12-31T23:59:59.999Z")]
    [InlineData("2016-02", "2016-02-01T00:00:00Z", "2016-02-29T23:59:59.999Z")]
    [InlineData("2016-03-28", "2016-03-28T00:00:00Z", "2016-03-28T23:59:59.999Z")]
    [InlineData("2016-03-28T10:30", "2016-03-28T10:30:00Z", "2016-03-28T10:30:59.999Z")]
    [InlineData("2016-03-28T10:30:15+02:00", "2016-03-28T08:30:15Z", "2016-03-28T08:30:15.999Z")]
    [InlineData("2016-03-28T10:30:15.25Z", "2016-03-28T10:30:15.250Z", "2016-03-28T10:30:15.250Z")]
    public void TryParse_CoversThePrecision(string text, string low, string high)
    {
        Assert.True(FhirDateRange.TryParse(text, out var range));
        Assert.Equal(Ms(low), range.Low);
        Assert.Equal(Ms(high), range.High);
    }

    [Theory]
    [InlineData("")]
    [InlineData("16")]
    [InlineData("2016-13")]
    [InlineData("2015-02-29")]
    [InlineData("2016-03-28T25:00")]
    [InlineData("2016-03-28 10:30")]
    [InlineData("2016-03-28T10:30:15+2")]
    public void TryParse_WhenMalformed_IsFalse(string text) => Assert.False(FhirDateRange.TryParse(text, out _));
}
