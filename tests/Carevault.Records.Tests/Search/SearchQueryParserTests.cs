using Carevault.Fhir.Spec;
using Carevault.Records.Search;
using Carevault.Records.Store;

namespace Carevault.Records.Tests.Search;

public sealed class SearchQueryParserTests
{
    static readonly SearchQueryParser Parser = new(FhirSpec.R4);

    static RecordResult<SearchQuery> Parse(string name, string value, bool strict = true) => Parser.Parse("Observation", [new(name, value)], strict);

    [Theory]
    [InlineData("_count", "x")]
    [InlineData("_count", "1001")]
    [InlineData("_total", "maybe")]
    [InlineData("date", "2016-13")]
    [InlineData("date", "xx2016")]
    [InlineData("code", "")]
    [InlineData("code", "a|b|c")]
    [InlineData("value-quantity", "abc")]
    [InlineData("_cursor", "../x")]
    [InlineData("_sort", "shoe-size")]
    [InlineData("_sort", "status,-")]
    [InlineData("_elements", "name/given")]
    [InlineData("_summary", "short")]
    [InlineData("_include", "Observation")]
    [InlineData("_include", "Observation:subject:Spaceship")]
    [InlineData("subject", "not a reference")]
    public void Parse_WhenValueIsMalformed_IsBadRequest(string name, string value)
    {
        Assert.Equal(RecordErrorKind.BadRequest, Parse(name, value).Error?.Kind);
        Assert.Equal(RecordErrorKind.BadRequest, Parse(name, value, strict: false).Error?.Kind);
    }

    [Theory]
    [InlineData("shoe-size", "42")]
    [InlineData("subject:Patient.organization.name", "x")]
    [InlineData("_has:Observation:patient:_has:Observation:patient:code", "x")]
    [InlineData("_include", "Observation:status")]
    [InlineData("_revinclude", "Location:organization")]
    public void Parse_WhenParameterIsUnsupported_FailsWhenStrictAndIsIgnoredWhenLenient(string name, string value)
    {
        Assert.Equal("not-supported", Parse(name, value).Error?.Code);
        var lenient = Parse(name, value, strict: false);
        Assert.True(lenient.IsSuccess);
        Assert.Equal([name], lenient.Value!.Ignored);
        Assert.Empty(lenient.Value.Criteria);
    }

    [Fact]
    public void Parse_TokenWithEscapedSeparators_KeepsThem()
    {
        var query = Parse("code", @"http://x|a\,b,c").Value!;

        Assert.Equal([new TokenValue("http://x", "a,b"), new TokenValue(null, "c")], query.Criteria[0].Values);
    }

    [Fact]
    public void Parse_Number_TakesPrecisionFromDigits()
    {
        var value = (NumberValue)Parse("value-quantity", "100.0").Value!.Criteria[0].Values[0];

        Assert.Equal(99.95, value.Low, 9);
        Assert.Equal(100.05, value.High, 9);
    }
}
