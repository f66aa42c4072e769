using System.Text.Json;
using Carevault.Fhir.Spec;
using Carevault.Records.Search;

namespace Carevault.Records.Tests.Search;

public sealed class SearchIndexerTests
{
    static readonly SearchIndexer Indexer = new(FhirSpec.R4);

    static IndexRows Extract(string file) =>
        Indexer.Extract(JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "fhir", file))).RootElement);

    static long Ms(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    [Fact]
    public void Extract_ObservationExample_IndexesCodeSubjectDateAndValue()
    {
        var rows = Extract("observation-example.json");

        Assert.Contains(new TokenRow("code", "http://loinc.org", "29463-7"), rows.Tokens);
        Assert.Contains(new TokenRow("code", "http://snomed.info/sct", "27113001"), rows.Tokens);
        Assert.Contains(new TokenRow("status", "", "final"), rows.Tokens);
        Assert.Contains(new TokenRow("category", "http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs"), rows.Tokens);
        Assert.Contains(new ReferenceRow("subject", "Patient", "example"), rows.References);
        Assert.Contains(new ReferenceRow("patient", "Patient", "example"), rows.References);
        Assert.Contains(new ReferenceRow("encounter", "Encounter", "example"), rows.References);
        Assert.Contains(new DateRow("date", Ms("2016-03-28T00:00:00Z"), Ms("2016-03-28T23:59:59.999Z")), rows.Dates);
        Assert.Contains(new QuantityRow("value-quantity", "http://unitsofmeasure.org", "[lb_av]", 185), rows.Quantities);
        Assert.DoesNotContain(rows.References, r => r.Param == "patient" && r.TargetType == "Encounter");
    }

    [Fact]
    public void Extract_PatientExample_IndexesNamesIdentifiersTelecomsAndAddress()
    {
        var rows = Extract("patient-example.json");

        Assert.Contains(new StringRow("family", "chalmers", "Chalmers"), rows.Strings);
        Assert.Contains(new StringRow("given", "peter", "Peter"), rows.Strings);
        Assert.Contains(new StringRow("name", "jim", "Jim"), rows.Strings);
        Assert.Contains(new StringRow("address-city", "pleasantville", "PleasantVille"), rows.Strings);
        Assert.Contains(new TokenRow("identifier", "urn:oid:1.2.36.146.595.217.0.1", "12345"), rows.Tokens);
        Assert.Contains(new TokenRow("gender", "", "male"), rows.Tokens);
        Assert.Contains(new TokenRow("phone", "", "(03) 5555 6473"), rows.Tokens);
        Assert.Contains(new DateRow("birthdate", Ms("1974-12-25T00:00:00Z"), Ms("1974-12-25T23:59:59.999Z")), rows.Dates);
        Assert.Contains(new ReferenceRow("organization", "Organization", "1"), rows.References);
    }

    [Theory]
    [InlineData("Müller", "muller")]
    [InlineData("ØDEGÅRD", "odegard")]
    [InlineData("Straße", "strasse")]
    [InlineData("Łukasz", "lukasz")]
    [InlineData("José", "jose")]
    public void Normalize_FoldsCaseAndAccents(string text, string expected) => Assert.Equal(expected, SearchText.Normalize(text));
}
