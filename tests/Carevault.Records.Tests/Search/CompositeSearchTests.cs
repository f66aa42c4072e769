using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Records.Tests.Search;

/// <summary>Observation's composite parameters (FHIR R4 search.html#composite, observation.html#search) on both engines.</summary>
public sealed class CompositeSearchTests
{
    const string BloodPressure = """
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
         "component":[
           {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":150,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
           {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":90,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}
        """;

    const string Weight = """{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":80,"system":"http://unitsofmeasure.org","code":"kg"}}""";

    const string BloodGroup = """{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"883-9"}]},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"112144000"}]}}""";

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Composites_MatchPairsFromTheSameBaseNode(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var bp = (await h.CreateAsync(tenant, BloodPressure)).Id;
        var weight = (await h.CreateAsync(tenant, Weight)).Id;
        var group = (await h.CreateAsync(tenant, BloodGroup)).Id;
        async Task<string[]> Ids(string query) => (await h.SearchAsync(tenant, "Observation", query)).Resources.Select(r => r.Id).ToArray();

        Assert.Equal([weight], await Ids("code-value-quantity=http://loinc.org|29463-7$gt70"));
        Assert.Equal([weight], await Ids("code-value-quantity=29463-7$80|http://unitsofmeasure.org|kg"));
        Assert.Empty(await Ids("code-value-quantity=29463-7$80||g"));
        Assert.Empty(await Ids("code-value-quantity=29463-7$lt70"));
        Assert.Equal([bp], await Ids("component-code-value-quantity=http://loinc.org|8480-6$gt140"));
        // Systolic 150 and diastolic 90: "diastolic above 140" pairs only within one component, so no match.
        Assert.Empty(await Ids("component-code-value-quantity=http://loinc.org|8462-4$gt140"));
        Assert.Equal([bp, weight], await Ids("combo-code-value-quantity=8480-6$gt140,29463-7$gt70"));
        Assert.Equal([group], await Ids("code-value-concept=http://loinc.org|883-9$http://snomed.info/sct|112144000"));
        Assert.Equal([group], await Ids("code-value-concept=883-9$112144000"));
        Assert.Empty(await Ids("code-value-concept=883-9$http://snomed.info/sct|0000"));
        Assert.Equal(RecordErrorKind.BadRequest, h.Parser.Parse("Observation", [new("code-value-quantity", "29463-7")], true).Error?.Kind);
        Assert.Equal(RecordErrorKind.BadRequest, h.Parser.Parse("Observation", [new("code-value-quantity", "29463-7$heavy")], true).Error?.Kind);
    }
}
