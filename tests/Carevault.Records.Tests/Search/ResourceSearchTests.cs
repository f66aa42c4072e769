using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Records.Tests.Search;

/// <summary>Search through the store on both engines: each parameter type, modifiers, prefixes, paging, tenants.</summary>
public sealed class ResourceSearchTests
{
    static string Observation(string code, string effective, string subject, double kg, string status = "final") => $$"""
        {"resourceType":"Observation","status":"{{status}}",
         "code":{"coding":[{"system":"http://loinc.org","code":"{{code}}"}]},
         "subject":{"reference":"{{subject}}"},
         "effectiveDateTime":"{{effective}}",
         "valueQuantity":{"value":{{kg.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"} }
        """;

    static async Task<(StoreHarness H, string Tenant, string[] Ids)> SeedAsync(DatabaseProvider provider)
    {
        var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var ids = new[]
        {
            (await h.CreateAsync(tenant, Observation("29463-7", "2016-03-28", "Patient/p1", 83.9))).Id,
            (await h.CreateAsync(tenant, Observation("29463-7", "2016-04-02T10:30:00Z", "Patient/p2", 70))).Id,
            (await h.CreateAsync(tenant, Observation("8302-2", "2017-01-15T08:00:00+02:00", "Patient/p1", 180, "amended"))).Id,
        };
        return (h, tenant, ids);
    }

    static async Task<string[]> Ids(StoreHarness h, string tenant, string type, string query) =>
        (await h.SearchAsync(tenant, type, query)).Resources.Select(r => r.Id).ToArray();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByToken_MatchesCodeWithAndWithoutSystem(DatabaseProvider provider)
    {
        var (h, tenant, ids) = await SeedAsync(provider);
        await using var _ = h;

        Assert.Equal([ids[0], ids[1]], await Ids(h, tenant, "Observation", "code=29463-7"));
        Assert.Equal([ids[0], ids[1]], await Ids(h, tenant, "Observation", "code=http%3A%2F%2Floinc.org%7C29463-7"));
        Assert.Empty(await Ids(h, tenant, "Observation", "code=http%3A%2F%2Fsnomed.info%2Fsct%7C29463-7"));
        Assert.Equal(ids, await Ids(h, tenant, "Observation", "code=http%3A%2F%2Floinc.org%7C"));
        Assert.Equal([ids[2]], await Ids(h, tenant, "Observation", "status=amended"));
        Assert.Equal([ids[0], ids[1]], await Ids(h, tenant, "Observation", "status:not=amended"));
        Assert.Equal(ids, await Ids(h, tenant, "Observation", "code=29463-7,8302-2"));
        Assert.Equal([ids[1]], await Ids(h, tenant, "Observation", $"_id={ids[1]}"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByDate_AppliesPrefixesAndPrecision(DatabaseProvider provider)
    {
        var (h, tenant, ids) = await SeedAsync(provider);
        await using var _ = h;

        Assert.Equal([ids[0], ids[1]], await Ids(h, tenant, "Observation", "date=2016"));
        Assert.Equal([ids[1]], await Ids(h, tenant, "Observation", "date=2016-04"));
        Assert.Equal([ids[0]], await Ids(h, tenant, "Observation", "date=2016-03-28"));
        Assert.Equal([ids[1], ids[2]], await Ids(h, tenant, "Observation", "date=gt2016-03-28"));
        Assert.Equal([ids[0], ids[1], ids[2]], await Ids(h, tenant, "Observation", "date=ge2016-03-28"));
        Assert.Equal([ids[0]], await Ids(h, tenant, "Observation", "date=lt2016-04-01"));
        Assert.Equal([ids[0], ids[1]], await Ids(h, tenant, "Observation", "date=ge2016-01-01&date=lt2017-01-01"));
        // 08:00+02:00 is 06:00Z.
        Assert.Equal([ids[2]], await Ids(h, tenant, "Observation", "date=2017-01-15T06:00:00Z"));
        Assert.Equal([ids[0], ids[1]], await Ids(h, tenant, "Observation", "date=ne2017-01-15"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_DrivenByAReference_AppliesEveryOtherCriterion_OnceEach_WithPagesTotalsAndSort(DatabaseProvider provider)
    {
        var (h, tenant, ids) = await SeedAsync(provider);
        await using var _ = h;
        // Named twice as performer: two reference index rows for one resource, which must still come back once.
        var twice = (await h.CreateAsync(tenant, """
            {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
             "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2018-05-01","performer":[{"reference":"Practitioner/d1"},{"reference":"Practitioner/d1"}],
             "valueQuantity":{"value":90,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
            """)).Id;

        Assert.Equal([ids[0], twice], await Ids(h, tenant, "Observation", "patient=p1&code=29463-7"));
        Assert.Equal([twice], await Ids(h, tenant, "Observation", "patient=p1&code=http%3A%2F%2Floinc.org%7C29463-7&date=ge2017-06-01"));
        Assert.Equal([ids[2]], await Ids(h, tenant, "Observation", "subject=Patient/p1&status=amended&value-quantity=gt100"));
        Assert.Equal([ids[2]], await Ids(h, tenant, "Observation", "patient=p1&status:not=final,preliminary&code=8302-2,29463-7&date=lt2018-01-01&status=final,amended"));
        Assert.Empty(await Ids(h, tenant, "Observation", "patient=p2&code=8302-2"));
        Assert.Equal([twice], await Ids(h, tenant, "Observation", "performer=Practitioner/d1"));
        Assert.Equal([twice], await Ids(h, tenant, "Observation", "performer=Practitioner/d1&patient=p1&value-quantity=90"));
        Assert.Equal([ids[0], ids[2], twice], await Ids(h, tenant, "Observation", "patient=p1,p9"));
        Assert.Equal(3, (await h.SearchAsync(tenant, "Observation", "patient=p1&_total=accurate")).Total);
        Assert.Equal(2, (await h.SearchAsync(tenant, "Observation", "patient=p1&code=29463-7&_total=accurate")).Total);
        Assert.Equal([twice, ids[2], ids[0]], await Ids(h, tenant, "Observation", "patient=p1&_sort=-date"));
        Assert.Empty(await Ids(h, StoreHarness.Tenant(), "Observation", "patient=p1&code=29463-7"));

        var first = await h.SearchAsync(tenant, "Observation", "patient=p1&_count=2");
        Assert.Equal([ids[0], ids[2]], first.Resources.Select(r => r.Id));
        Assert.NotNull(first.NextAfter);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByReferenceAndQuantity_MatchesTargets(DatabaseProvider provider)
    {
        var (h, tenant, ids) = await SeedAsync(provider);
        await using var _ = h;

        Assert.Equal([ids[0], ids[2]], await Ids(h, tenant, "Observation", "subject=Patient/p1"));
        Assert.Equal([ids[0], ids[2]], await Ids(h, tenant, "Observation", "patient=p1"));
        Assert.Equal([ids[0], ids[2]], await Ids(h, tenant, "Observation", "subject:Patient=p1"));
        Assert.Empty(await Ids(h, tenant, "Observation", "subject=Group/p1"));
        Assert.Equal([ids[0], ids[2]], await Ids(h, tenant, "Observation", "value-quantity=gt80"));
        Assert.Equal([ids[1]], await Ids(h, tenant, "Observation", "value-quantity=70%7Chttp%3A%2F%2Funitsofmeasure.org%7Ckg"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByString_IsPrefixCaseAndAccentInsensitiveByDefault(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var muller = (await h.CreateAsync(tenant, """{"resourceType":"Patient","name":[{"family":"Müller","given":["Anna"]}],"address":[{"city":"Zürich"}]}""")).Id;
        var mull = (await h.CreateAsync(tenant, """{"resourceType":"Patient","name":[{"family":"Mullins","given":["Bo"]}]}""")).Id;

        Assert.Equal([muller, mull], await Ids(h, tenant, "Patient", "family=MUL"));
        Assert.Equal([muller], await Ids(h, tenant, "Patient", "family=muller"));
        Assert.Equal([muller], await Ids(h, tenant, "Patient", "family:exact=M%C3%BCller"));
        Assert.Empty(await Ids(h, tenant, "Patient", "family:exact=muller"));
        Assert.Equal([mull], await Ids(h, tenant, "Patient", "name:contains=LIN"));
        Assert.Equal([muller], await Ids(h, tenant, "Patient", "name=anna"));
        Assert.Equal([muller], await Ids(h, tenant, "Patient", "address-city=zur"));
        Assert.Empty(await Ids(h, tenant, "Patient", "name:contains=%25"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_PagingWhileOthersWrite_ReturnsEachResourceOnce(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            h.Clock.Advance(TimeSpan.FromMilliseconds(1));
            created.Add((await h.CreateAsync(tenant, """{"resourceType":"Patient","active":true}""")).Id);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await h.SearchAsync(tenant, "Patient", "active=true&_count=3" + (cursor is null ? "" : "&_cursor=" + cursor));
            seen.AddRange(page.Resources.Select(r => r.Id));
            cursor = page.NextAfter;
            if (pages++ == 0)
            {
                // Between pages: one resource already seen is updated, one not yet seen deleted, one created.
                var body = System.Text.Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","id":"{{created[0]}}","active":true}""");
                Assert.True((await h.Store.UpdateAsync(tenant, "Patient", created[0], body, null, default)).IsSuccess);
                Assert.True((await h.Store.DeleteAsync(tenant, "Patient", created[5], null, default)).IsSuccess);
                h.Clock.Advance(TimeSpan.FromMilliseconds(1));
                created.Add((await h.CreateAsync(tenant, """{"resourceType":"Patient","active":true}""")).Id);
            }
        }
        while (cursor is not null);

        Assert.Equal(created.Where((_, i) => i != 5), seen);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_NeverReturnsAnotherTenantsResources(DatabaseProvider provider)
    {
        var (h, tenant, ids) = await SeedAsync(provider);
        await using var _ = h;
        var other = StoreHarness.Tenant();
        var mine = (await h.CreateAsync(other, Observation("29463-7", "2016-03-28", "Patient/p1", 83.9))).Id;

        Assert.Equal([mine], await Ids(h, other, "Observation", "code=29463-7"));
        Assert.Equal([mine], await Ids(h, other, "Observation", ""));
        Assert.Equal(1, (await h.SearchAsync(other, "Observation", "_total=accurate")).Total);
        var summary = await h.SearchAsync(other, "Observation", "code=29463-7&_summary=count");
        Assert.Equal(1, summary.Total);
        Assert.Empty(summary.Resources);
        Assert.Equal(3, (await h.SearchAsync(tenant, "Observation", "_total=accurate")).Total);
        Assert.Empty(await Ids(h, other, "Observation", $"_id={ids[0]}"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByLastUpdated_UsesTheVersionTime(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var early = (await h.CreateAsync(tenant, """{"resourceType":"Patient"}""")).Id;
        h.Clock.Advance(TimeSpan.FromDays(2));
        var late = (await h.CreateAsync(tenant, """{"resourceType":"Patient"}""")).Id;

        Assert.Equal([early], await Ids(h, tenant, "Patient", "_lastUpdated=2026-11-21"));
        Assert.Equal([late], await Ids(h, tenant, "Patient", "_lastUpdated=gt2026-11-22"));
        Assert.Equal([early, late], await Ids(h, tenant, "Patient", "_lastUpdated=ge2026-11"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_WithMissingModifier_MatchesPresenceOfAnyValue(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var born = (await h.CreateAsync(tenant, """{"resourceType":"Patient","birthDate":"1990-01-01"}""")).Id;
        var unknown = (await h.CreateAsync(tenant, """{"resourceType":"Patient"}""")).Id;

        Assert.Equal([unknown], await Ids(h, tenant, "Patient", "birthdate:missing=true"));
        Assert.Equal([born], await Ids(h, tenant, "Patient", "birthdate:missing=false"));
    }
}
