using System.Text.Json;
using Carevault.Fhir.Spec;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Records.Tests.Search;

/// <summary>Chaining, :text, _include/_revinclude (with :iterate), _sort with keyset paging, _elements — on both engines.</summary>
public sealed class SearchResultParametersTests
{
    sealed record Seed(StoreHarness H, string Tenant, string Org, string Anna, string Ben, string[] Obs) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => H.DisposeAsync();
    }

    static string Observation(string code, string display, string date, string subject, double value) => $$"""
        {"resourceType":"Observation","status":"final",
         "code":{"coding":[{"system":"http://loinc.org","code":"{{code}}","display":"{{display}}"}],"text":"{{display}} measured"},
         "subject":{"reference":"{{subject}}"},"effectiveDateTime":"{{date}}",
         "valueQuantity":{"value":{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"system":"http://unitsofmeasure.org","code":"kg"} }
        """;

    static async Task<Seed> SeedAsync(DatabaseProvider provider)
    {
        var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var org = (await h.CreateAsync(tenant, """{"resourceType":"Organization","name":"Harbour Clinic"}""")).Id;
        var anna = (await h.CreateAsync(tenant, $$"""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"A-1"}],"name":[{"family":"Lindqvist","given":["Anna"]}],"managingOrganization":{"reference":"Organization/{{org}}"} }""")).Id;
        var ben = (await h.CreateAsync(tenant, """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"B-2"}],"name":[{"family":"Okoye","given":["Ben"]}]}""")).Id;
        var obs = new[]
        {
            (await h.CreateAsync(tenant, Observation("29463-7", "Body weight", "2020-01-05", $"Patient/{anna}", 70))).Id,
            (await h.CreateAsync(tenant, Observation("29463-7", "Body weight", "2021-06-01", $"Patient/{ben}", 90))).Id,
            (await h.CreateAsync(tenant, Observation("8302-2", "Body height", "2021-06-01", $"Patient/{anna}", 170))).Id,
            (await h.CreateAsync(tenant, Observation("8867-4", "Heart rate", "2019-03-03", $"Patient/{anna}", 60))).Id,
        };
        return new Seed(h, tenant, org, anna, ben, obs);
    }

    static async Task<string[]> Ids(Seed s, string type, string query) => (await s.H.SearchAsync(s.Tenant, type, query)).Resources.Select(r => r.Id).ToArray();

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Chain_MatchesThroughTheReference(DatabaseProvider provider)
    {
        await using var s = await SeedAsync(provider);

        Assert.Equal([s.Obs[0], s.Obs[2], s.Obs[3]], await Ids(s, "Observation", "subject:Patient.name=lindq"));
        Assert.Equal([s.Obs[1]], await Ids(s, "Observation", "patient.identifier=urn:mrn|B-2"));
        Assert.Equal([s.Obs[1]], await Ids(s, "Observation", "subject.family:exact=Okoye"));
        Assert.Equal([s.Anna], await Ids(s, "Patient", "organization.name=harbour"));
        Assert.Empty(await Ids(s, "Observation", "patient.identifier=urn:mrn|C-3"));
        Assert.Equal([s.Obs[2]], await Ids(s, "Observation", "patient.identifier=urn:mrn|A-1&code=8302-2"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Has_MatchesWhatCurrentSourcesReference(DatabaseProvider provider)
    {
        await using var s = await SeedAsync(provider);

        Assert.Equal([s.Anna, s.Ben], await Ids(s, "Patient", "_has:Observation:patient:code=29463-7"));
        Assert.Equal([s.Anna], await Ids(s, "Patient", "_has:Observation:subject:code=8867-4"));
        Assert.Equal([s.Anna], await Ids(s, "Patient", "_has:Observation:patient:code=8302-2&_has:Observation:patient:value-quantity=gt100"));
        Assert.Equal([s.Org], await Ids(s, "Organization", "_has:Patient:organization:name=lindq"));
        Assert.Empty(await Ids(s, "Patient", "_has:Observation:patient:code=0000-0"));

        // A deleted source no longer counts.
        Assert.True((await s.H.Store.DeleteAsync(s.Tenant, "Observation", s.Obs[3], null, default)).IsSuccess);
        Assert.Empty(await Ids(s, "Patient", "_has:Observation:subject:code=8867-4"));
    }

    [Theory]
    [InlineData("_has:Observation:patient:_has:Observation:patient:code=1", RecordErrorKind.BadRequest)]
    [InlineData("_has:Observation:specimen:code=1", RecordErrorKind.BadRequest)]
    [InlineData("_has:Observation:code:code=1", RecordErrorKind.BadRequest)]
    [InlineData("_has:Nope:patient:code=1", RecordErrorKind.BadRequest)]
    [InlineData("_has:Observation=1", RecordErrorKind.BadRequest)]
    public void Has_RefusesWhatItCannotMean(string query, RecordErrorKind kind)
    {
        var eq = query.LastIndexOf('=');
        var parsed = new SearchQueryParser(FhirSpec.R4).Parse("Patient", [new(query[..eq], query[(eq + 1)..])], strict: true);

        Assert.Equal(kind, parsed.Error?.Kind);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task TokenText_MatchesTextAndDisplay(DatabaseProvider provider)
    {
        await using var s = await SeedAsync(provider);

        Assert.Equal([s.Obs[0], s.Obs[1], s.Obs[2]], await Ids(s, "Observation", "code:text=body"));
        Assert.Equal([s.Obs[3]], await Ids(s, "Observation", "code:text=heart rate"));
        Assert.Equal([s.Obs[0], s.Obs[1]], await Ids(s, "Observation", "code:text=body w,heart&code:text=body weight"));
        Assert.Empty(await Ids(s, "Observation", "code:text=29463"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Include_AddsReferencedAndReferencingResources(DatabaseProvider provider)
    {
        await using var s = await SeedAsync(provider);

        var include = await s.H.SearchAsync(s.Tenant, "Observation", "code=29463-7&_include=Observation:subject");
        var revinclude = await s.H.SearchAsync(s.Tenant, "Patient", $"_id={s.Anna}&_revinclude=Observation:subject");
        var iterate = await s.H.SearchAsync(s.Tenant, "Observation", "code=8302-2&_include=Observation:patient&_include:iterate=Patient:organization");
        var typed = await s.H.SearchAsync(s.Tenant, "Observation", "code=8302-2&_include=Observation:subject:Group");

        Assert.Equal([s.Obs[0], s.Obs[1]], include.Resources.Select(r => r.Id));
        Assert.Equal([$"Patient/{s.Anna}", $"Patient/{s.Ben}"], include.Included.Select(r => $"{r.ResourceType}/{r.Id}").Order());
        Assert.Equal([s.Anna], revinclude.Resources.Select(r => r.Id));
        Assert.Equal([s.Obs[0], s.Obs[2], s.Obs[3]], revinclude.Included.Select(r => r.Id));
        Assert.Equal([$"Patient/{s.Anna}", $"Organization/{s.Org}"], iterate.Included.Select(r => $"{r.ResourceType}/{r.Id}"));
        Assert.Empty(typed.Included);
        var noObservations = await s.H.Store.SearchAsync(s.Tenant, s.H.Parser.Parse("Patient", [new("_id", s.Anna), new("_revinclude", "Observation:subject")], true).Value!, default, t => t != "Observation");
        Assert.Empty(noObservations.Included);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Sort_OrdersByEveryKey_AndPagesWithoutRepeatsOrGaps(DatabaseProvider provider)
    {
        await using var s = await SeedAsync(provider);
        var withoutDate = (await s.H.CreateAsync(s.Tenant, """{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1111-1"}]}}""")).Id;

        // date descending (2021 ×2, 2020, 2019, none last), ties by code ascending, then id.
        string[] expected = [s.Obs[1], s.Obs[2], s.Obs[0], s.Obs[3], withoutDate];
        Assert.Equal([s.Obs[2], s.Obs[1], s.Obs[0], s.Obs[3], withoutDate], await Ids(s, "Observation", "_sort=-date,-code"));
        Assert.Equal(expected, await Ids(s, "Observation", "_sort=-date,code"));
        Assert.Equal([s.Obs[3], s.Obs[0], s.Obs[1], s.Obs[2], withoutDate], await Ids(s, "Observation", "_sort=date,_id"));
        Assert.Equal([s.Obs[2], s.Obs[1], s.Obs[0], s.Obs[3], withoutDate], await Ids(s, "Observation", "_sort=-value-quantity"));
        Assert.Equal([s.Anna, s.Ben], await Ids(s, "Patient", "_sort=family"));
        Assert.Equal([s.Ben, s.Anna], await Ids(s, "Patient", "_sort=-name"));

        var pages = new List<string>();
        string? cursor = null;
        var count = 0;
        do
        {
            var page = await s.H.SearchAsync(s.Tenant, "Observation", "_sort=-date,code&_count=2" + (cursor is null ? "" : "&_cursor=" + cursor));
            pages.AddRange(page.Resources.Select(r => r.Id));
            cursor = page.NextAfter;
            count++;
        }
        while (cursor is not null);
        Assert.Equal(expected, pages);
        Assert.Equal(3, count);
    }

    [Fact]
    public void Elements_KeepsListedMandatoryAndMeta_AndTagsSubsetted()
    {
        const string body = """{"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},"status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p"},"valueQuantity":{"value":1},"note":[{"text":"n"}]}""";

        var projected = JsonDocument.Parse(ResourceSubset.Apply(body, "Observation", ["value", "subject"], FhirSpec.R4)).RootElement;

        Assert.Equal(["resourceType", "id", "meta", "status", "code", "subject", "valueQuantity"], projected.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2", projected.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("SUBSETTED", projected.GetProperty("meta").GetProperty("tag")[0].GetProperty("code").GetString());
    }

    const string FullObservation = """
        {"resourceType":"Observation","id":"o1","meta":{"versionId":"2","tag":[{"code":"t"}]},
         "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
         "status":"final","_status":{"extension":[{"url":"urn:e","valueString":"s"}]},
         "code":{"text":"panel"},"subject":{"reference":"Patient/p"},"valueQuantity":{"value":1,"unit":"mg"},
         "note":[{"text":"n"}],"referenceRange":[{"low":{"value":0}}],
         "component":[{"code":{"text":"c"},"valueString":"v","interpretation":[{"text":"H"}],"modifierExtension":[{"url":"urn:m","valueBoolean":true}]}]}
        """;

    static JsonElement Summary(string body, string type, SummaryMode mode) =>
        JsonDocument.Parse(ResourceSubset.Summary(body, type, mode, FhirSpec.R4)).RootElement;

    [Fact]
    public void SummaryTrue_KeepsSummaryElements_AndOnlySummaryChildrenOfBackboneElements()
    {
        var summary = Summary(FullObservation, "Observation", SummaryMode.True);

        // note, referenceRange and text are not isSummary in R4's Observation; a component keeps code, value and its
        // modifier extensions, not its interpretation; a datatype value (valueQuantity) is kept whole.
        Assert.Equal(["resourceType", "id", "meta", "status", "_status", "code", "subject", "valueQuantity", "component"], summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["code", "valueString", "modifierExtension"], summary.GetProperty("component")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("mg", summary.GetProperty("valueQuantity").GetProperty("unit").GetString());
        Assert.Equal(["t", "SUBSETTED"], summary.GetProperty("meta").GetProperty("tag").EnumerateArray().Select(t => t.GetProperty("code").GetString()));
    }

    [Fact]
    public void SummaryTrue_OnPatient_KeepsDemographicsAndLinks_NotContactsOrPhotos()
    {
        const string body = """{"resourceType":"Patient","id":"p","name":[{"family":"Moreau"}],"gender":"female","birthDate":"1970-01-01","photo":[{"contentType":"image/png"}],"contact":[{"name":{"family":"X"}}],"link":[{"other":{"reference":"Patient/q"},"type":"seealso"}]}""";

        Assert.Equal(["resourceType", "id", "name", "gender", "birthDate", "link", "meta"], Summary(body, "Patient", SummaryMode.True).EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void SummaryText_KeepsTextAndMandatoryElements_SummaryData_DropsTheTextOnly()
    {
        var text = Summary(FullObservation, "Observation", SummaryMode.Text);
        var data = Summary(FullObservation, "Observation", SummaryMode.Data);

        Assert.Equal(["resourceType", "id", "meta", "text", "status", "_status", "code"], text.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["resourceType", "id", "meta", "status", "_status", "code", "subject", "valueQuantity", "note", "referenceRange", "component"], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SUBSETTED", data.GetProperty("meta").GetProperty("tag")[1].GetProperty("code").GetString());
    }
}
