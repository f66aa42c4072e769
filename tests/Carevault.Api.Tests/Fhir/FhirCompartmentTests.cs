using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>SMART patient/ and user/ scopes on /fhir, compartment searches and Patient $everything (both backends).</summary>
public sealed class FhirCompartmentTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Condition = """{"resourceType":"Condition","subject":{"reference":"Patient/PATIENT"},"code":{"text":"asthma"}}""";

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientScopes_ObservationReadSearch_CannotReachConditionsOrOtherPatients(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var own = await world.CreateAsync(AccessWorld.Observation("s", world.P1, world.D1));
        var others = await world.CreateAsync(AccessWorld.Observation("s", world.P2, world.D1));
        var condition = await world.CreateAsync(Condition.Replace("PATIENT", world.P1, StringComparison.Ordinal));
        var token = await world.TokenAsync("patient1", "patient/Observation.rs");

        Assert.Equal(HttpStatusCode.OK, (await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{own}", token)).StatusCode);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{others}", token), HttpStatusCode.NotFound);
        Assert.Equal([own], await AccessWorld.IdsAsync(await world.Server.SendAsync(HttpMethod.Get, "/fhir/Observation?code=urn:test:round|s", token)));
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Condition/{condition}", token), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, "/fhir/Condition", token), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, AccessWorld.Observation("s", world.P1, world.D1)), HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task PatientScopes_WithoutALinkedPatient_GrantNothing(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var users = world.Server.Services.GetService(typeof(Carevault.Identity.People.UserStore)) as Carevault.Identity.People.UserStore;
        world.People["unlinked"] = (await users!.CreateAsync(world.TenantId, "unlinked", AccessWorld.Password, "patient", default))!;
        var own = await world.CreateAsync(AccessWorld.Observation("u", world.P1, world.D1));

        // No patient context: patient/ scopes speak for nobody (403); user/ scopes leave the role's policy with an empty compartment.
        var patientScoped = await world.TokenAsync("unlinked", "patient/*.rs");
        var userScoped = await world.TokenAsync("unlinked", "user/*.rs");

        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{own}", patientScoped), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{own}", userScoped), HttpStatusCode.NotFound);
        Assert.Empty(await AccessWorld.IdsAsync(await world.Server.SendAsync(HttpMethod.Get, "/fhir/Observation", userScoped)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task UserScopes_WithoutCreate_CannotCreate_AndReadOnlyScopesCannotUpdate(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var authored = await world.CreateAsync(AccessWorld.Observation("r", world.P1, world.D1));
        var readOnly = await world.TokenAsync("doctor1", "user/*.rs");
        var full = await world.TokenAsync("doctor1", "user/Observation.cruds");

        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Post, "/fhir/Observation", readOnly, AccessWorld.Observation("r", world.P1, world.D1)), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Put, $"/fhir/Observation/{authored}", readOnly, AccessWorld.Observation("r", world.P1, world.D1, authored, "amended")), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{authored}", readOnly)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await world.Server.SendAsync(HttpMethod.Post, "/fhir/Observation", full, AccessWorld.Observation("r", world.P1, world.D1))).StatusCode);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}", full), HttpStatusCode.Forbidden);
        // A system scope is no use to a person.
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{authored}", await world.TokenAsync("doctor1", "system/*.cruds")), HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task CompartmentSearch_IncludesOnlyWhatTheCallerMayRead(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var own = await world.CreateAsync(AccessWorld.Observation("i", world.P1, world.D1));
        var patient = await world.TokenAsync("patient1", "patient/*.rs");
        var doctor = await world.TokenAsync("doctor1", "user/*.rs");

        // The performing Practitioner is outside the patient's compartment: a patient's include leaves it out, as a
        // plain search's does; a doctor, who may read practitioners, gets it.
        var forPatient = await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation?_include=Observation:performer", patient);
        var forDoctor = await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation?_include=Observation:performer", doctor);

        Assert.Equal([$"match Observation/{own}"], await EntriesAsync(forPatient));
        Assert.Equal([$"include Practitioner/{world.D1}", $"match Observation/{own}"], await EntriesAsync(forDoctor));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SearchCriteria_MayOnlyLookIntoTypesTheCallerMaySearch(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        await world.CreateAsync(AccessWorld.Observation("h", world.P1, world.D1));
        var reverse = "/fhir/Patient?_has:Observation:subject:status=final";

        // Staff read demographics, not observations: which patients have a given result is not theirs to learn.
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, reverse, await world.TokenAsync("staff")), HttpStatusCode.Forbidden);
        // A patient may not look into practitioners through a chain (they read only their own compartment).
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, "/fhir/Observation?performer:Practitioner.name=doctor", await world.TokenAsync("patient1", "patient/*.rs")), HttpStatusCode.Forbidden);
        // A doctor reads both.
        var doctor = await world.TokenAsync("doctor1", "user/*.rs");
        Assert.Equal([$"match Patient/{world.P1}"], await EntriesAsync(await world.Server.SendAsync(HttpMethod.Get, reverse, doctor)));
    }

    static async Task<List<string>> EntriesAsync(HttpResponseMessage response)
    {
        var bundle = await FhirAssert.JsonAsync(response, HttpStatusCode.OK);
        if (!bundle.TryGetProperty("entry", out var entries)) return [];
        return entries.EnumerateArray()
            .Select(e => $"{e.GetProperty("search").GetProperty("mode").GetString()} {e.GetProperty("resource").GetProperty("resourceType").GetString()}/{e.GetProperty("resource").GetProperty("id").GetString()}")
            .Order(StringComparer.Ordinal).ToList();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task CompartmentSearch_ReturnsThePatientsResources_WithSearchParametersAndPaging(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var mine1 = await world.CreateAsync(AccessWorld.Observation("c1", world.P1, world.D1));
        var mine2 = await world.CreateAsync(AccessWorld.Observation("c2", world.P1, world.D2));
        var theirs = await world.CreateAsync(AccessWorld.Observation("c1", world.P2, world.D1));
        // In P1's compartment as performer (Observation: subject, performer), though about P2.
        var performedByP1 = await world.CreateAsync(
            $$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{world.P2}}"},"performer":[{"reference":"Patient/{{world.P1}}"}]}""");
        var doctor = await world.TokenAsync("doctor1");
        var server = world.Server;

        Assert.Equal(Sorted(mine1, mine2, performedByP1), await AccessWorld.IdsAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation", doctor)));
        Assert.Equal([mine1], await AccessWorld.IdsAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation?code=urn:test:round|c1", doctor)));
        Assert.Equal(Sorted(theirs, performedByP1), await AccessWorld.IdsAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P2}/Observation", doctor)));

        var first = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation?_count=2&_total=accurate", doctor), HttpStatusCode.OK);
        Assert.Equal(3, first.GetProperty("total").GetInt32());
        Assert.Equal(2, first.GetProperty("entry").GetArrayLength());
        var next = new Uri(Link(first, "next")).PathAndQuery;
        Assert.StartsWith($"/fhir/Patient/{world.P1}/Observation?", next, StringComparison.Ordinal);
        Assert.Single(await AccessWorld.IdsAsync(await server.SendAsync(HttpMethod.Get, next, doctor)));

        // The patient: their own compartment; another patient's is not there; staff may not search Observations.
        var patient = await world.TokenAsync("patient1");
        Assert.Equal(Sorted(mine1, mine2, performedByP1), await AccessWorld.IdsAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation", patient)));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P2}/Observation", patient), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Observation", await world.TokenAsync("staff")), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{Guid.NewGuid():N}/Observation", doctor), HttpStatusCode.NotFound);
        // Another tenant's patient does not exist here.
        var otherTenant = await AccessWorld.CreateAsync(world.Server);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{otherTenant.P1}/Observation", doctor), HttpStatusCode.NotFound);
        // Types outside the Patient compartment have no members.
        Assert.Empty(await AccessWorld.IdsAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/Practitioner", doctor)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Everything_ReturnsThePatientAndTheirCompartment_PagedAndLimitedToTheCallersScopes(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var observation = await world.CreateAsync(AccessWorld.Observation("e", world.P1, world.D1));
        var condition = await world.CreateAsync(Condition.Replace("PATIENT", world.P1, StringComparison.Ordinal));
        await world.CreateAsync(AccessWorld.Observation("e", world.P2, world.D1));
        await world.CreateAsync(Condition.Replace("PATIENT", world.P2, StringComparison.Ordinal));
        var server = world.Server;
        var doctor = await world.TokenAsync("doctor1");

        var all = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything", doctor), HttpStatusCode.OK);
        Assert.Equal("searchset", all.GetProperty("type").GetString());
        Assert.Equal(3, all.GetProperty("total").GetInt32());
        Assert.Equal(Sorted(world.P1, observation, condition), Ids(all));
        Assert.Contains(all.GetProperty("entry").EnumerateArray(), e => e.GetProperty("fullUrl").GetString() == $"http://localhost/fhir/Condition/{condition}");

        // Paged: every page continues after the last id; together they are the whole compartment, once each.
        var seen = new List<string>();
        var url = $"/fhir/Patient/{world.P1}/$everything?_count=2";
        for (var pages = 0; url is not null; pages++)
        {
            Assert.True(pages < 3);
            var page = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, url, doctor), HttpStatusCode.OK);
            seen.AddRange(Ids(page));
            url = page.GetProperty("link").EnumerateArray().Any(l => l.GetProperty("relation").GetString() == "next") ? new Uri(Link(page, "next")).PathAndQuery : null;
        }
        Assert.Equal(Sorted(world.P1, observation, condition), seen);

        Assert.Equal(Sorted(observation), Ids(await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything?_type=Observation", doctor), HttpStatusCode.OK)));
        // The patient gets the same; a token for Patient and Observations only gets no Conditions; another patient's is not there.
        Assert.Equal(Sorted(world.P1, observation, condition), Ids(await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything", await world.TokenAsync("patient1")), HttpStatusCode.OK)));
        var narrow = await world.TokenAsync("patient1", "patient/Patient.r patient/Observation.rs");
        Assert.Equal(Sorted(world.P1, observation), Ids(await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything", narrow), HttpStatusCode.OK)));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P2}/$everything", await world.TokenAsync("patient1")), HttpStatusCode.NotFound);
        // Staff read Patients but no clinical entries; administrators nothing.
        Assert.Equal([world.P1], Ids(await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything", await world.TokenAsync("staff")), HttpStatusCode.OK)));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything", await world.TokenAsync("admin")), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{world.P1}/$everything?start=2020", doctor), HttpStatusCode.BadRequest);
        var otherTenant = await AccessWorld.CreateAsync(world.Server);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Patient/{otherTenant.P1}/$everything", doctor), HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task History_ForAPatient_ShowsOnlyTheirVersions(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var own = await world.CreateAsync(AccessWorld.Observation("h", world.P1, world.D1));
        var others = await world.CreateAsync(AccessWorld.Observation("h", world.P2, world.D1));
        var patient = await world.TokenAsync("patient1");

        var instance = await FhirAssert.JsonAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{own}/_history", patient), HttpStatusCode.OK);
        Assert.Equal(1, instance.GetProperty("entry").GetArrayLength());
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{others}/_history", patient), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{others}/_history/1", patient), HttpStatusCode.NotFound);
        var typeHistory = await FhirAssert.JsonAsync(await world.Server.SendAsync(HttpMethod.Get, "/fhir/Observation/_history", patient), HttpStatusCode.OK);
        Assert.Equal([own], typeHistory.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Transaction_ADoctorsEntryOnAnotherDoctorsObservation_FailsTheWhole_AndBatchAnswersPerEntry(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var mine = await world.CreateAsync(AccessWorld.Observation("t", world.P1, world.D1));
        var theirs = await world.CreateAsync(AccessWorld.Observation("t", world.P1, world.D2));
        var doctor = await world.TokenAsync("doctor1");

        string Bundle(string type) => $$"""
            {"resourceType":"Bundle","type":"{{type}}","entry":[
              {"request":{"method":"PUT","url":"Observation/{{mine}}"},"resource":{{AccessWorld.Observation("t", world.P1, world.D1, mine, "amended")}}},
              {"request":{"method":"PUT","url":"Observation/{{theirs}}"},"resource":{{AccessWorld.Observation("t", world.P1, world.D2, theirs, "amended")}}},
              {"request":{"method":"POST","url":"Observation"},"resource":{{AccessWorld.Observation("t", world.P2, world.D2)}}}]}
            """;

        var outcome = await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Post, "/fhir", doctor, Bundle("transaction")), HttpStatusCode.Forbidden);
        Assert.StartsWith("Bundle.entry[1]", outcome.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        var unchanged = await FhirAssert.JsonAsync(await world.Server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{mine}", doctor), HttpStatusCode.OK);
        Assert.Equal("1", unchanged.GetProperty("meta").GetProperty("versionId").GetString());

        var batch = await FhirAssert.JsonAsync(await world.Server.SendAsync(HttpMethod.Post, "/fhir", doctor, Bundle("batch")), HttpStatusCode.OK);
        Assert.Equal(["200 OK", "403", "201 Created"], batch.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()));

        // A patient's transaction stops at the type-level rule: patients write no clinical data.
        await FhirAssert.IsOutcomeAsync(await world.Server.SendAsync(HttpMethod.Post, "/fhir", await world.TokenAsync("patient1"), Bundle("transaction")), HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Metadata_StatesThePatientCompartmentAndEverything(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var capabilities = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/metadata", null), HttpStatusCode.OK);
        var rest = capabilities.GetProperty("rest")[0];

        Assert.Equal(["http://hl7.org/fhir/CompartmentDefinition/patient"], rest.GetProperty("compartment").EnumerateArray().Select(c => c.GetString()));
        var patient = rest.GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Patient");
        var operation = Assert.Single(patient.GetProperty("operation").EnumerateArray(), o => o.GetProperty("name").GetString() == "everything");
        Assert.Equal("http://hl7.org/fhir/OperationDefinition/Patient-everything", operation.GetProperty("definition").GetString());
        // One operation list per resource (a second "operation" key would hide the first from most JSON readers).
        Assert.Equal(1, patient.EnumerateObject().Count(p => p.NameEquals("operation")));
        Assert.Contains(patient.GetProperty("operation").EnumerateArray(), o => o.GetProperty("name").GetString() == "validate");
        var observation = rest.GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Observation");
        Assert.DoesNotContain(observation.GetProperty("operation").EnumerateArray(), o => o.GetProperty("name").GetString() == "everything");
        Assert.Contains("patient/", rest.GetProperty("security").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task CompartmentRoutes_OtherMethods_Answer405(DatabaseProvider provider)
    {
        var world = await AccessWorld.CreateAsync(await servers.GetAsync(provider));
        var response = await world.Server.SendAsync(HttpMethod.Delete, $"/fhir/Patient/{world.P1}/Observation", world.HospitalToken);
        await FhirAssert.IsOutcomeAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("GET", response.Content.Headers.Allow.Single());
    }

    static List<string> Sorted(params string[] ids) => ids.Order(StringComparer.Ordinal).ToList();

    static List<string> Ids(JsonElement bundle) => bundle.TryGetProperty("entry", out var entries)
        ? entries.EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList()
        : [];

    static string Link(JsonElement bundle, string relation) =>
        bundle.GetProperty("link").EnumerateArray().Single(l => l.GetProperty("relation").GetString() == relation).GetProperty("url").GetString()!;
}
