using System.Net;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>Bad input, authentication and SMART scopes: every answer on /fhir is an OperationOutcome, and nothing is stored.</summary>
public sealed class FhirErrorTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Observation = """{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]}}""";

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Create_WithBadInput_Returns400Or422AndStoresNothing(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, """{"resourceType":"Observation","status":"""), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, """{"resourceType":"Patient"}"""), HttpStatusCode.BadRequest);
        var unknown = await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation.Replace("\"status\"", "\"colour\":\"red\",\"status\"", StringComparison.Ordinal)), HttpStatusCode.BadRequest);
        Assert.Contains(unknown.GetProperty("issue").EnumerateArray(), i => i.GetProperty("expression")[0].GetString() == "Observation.colour");
        var invalid = await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation.Replace("final", "finished", StringComparison.Ordinal)), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(invalid.GetProperty("issue").EnumerateArray(), i => i.GetProperty("expression")[0].GetString() == "Observation.status");
        Assert.DoesNotContain("finished", invalid.ToString(), StringComparison.Ordinal);
        var bom = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "data", "fhir", "invalid_observation_bad_status_bom.json"));
        await FhirAssert.IsOutcomeAsync(await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/fhir/Observation")
        {
            Headers = { Authorization = new("Bearer", token) },
            Content = new ByteArrayContent(bom) { Headers = { ContentType = new("application/fhir+json") } },
        }), HttpStatusCode.UnprocessableEntity);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, null, r => r.Content = new StringContent("<Observation/>", System.Text.Encoding.UTF8, "application/fhir+xml")), HttpStatusCode.UnsupportedMediaType);

        var total = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?_total=accurate", token), HttpStatusCode.OK);
        Assert.Equal(0, total.GetProperty("total").GetInt32());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Update_WithBadInput_Returns400AndKeepsTheResource(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var id = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var withId = Observation.Replace("{\"resourceType\":\"Observation\",", $"{{\"resourceType\":\"Observation\",\"id\":\"{id}\",", StringComparison.Ordinal);

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Observation/{id}", token, Observation), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Observation/{id}", token, withId.Replace(id, "other-id", StringComparison.Ordinal)), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Observation/{id}", token, withId.Replace("\"Observation\"", "\"Patient\"", StringComparison.Ordinal)), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Observation/{id}", token, withId, r => r.Headers.TryAddWithoutValidation("If-Match", "yesterday")), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, "/fhir/Observation/never-created", token, withId.Replace(id, "never-created", StringComparison.Ordinal)), HttpStatusCode.MethodNotAllowed);

        var read = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{id}", token), HttpStatusCode.OK);
        Assert.Equal("1", read.GetProperty("meta").GetProperty("versionId").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Request_WithoutValidToken_Returns401Outcome(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);

        var none = await server.SendAsync(HttpMethod.Get, "/fhir/Observation", null);
        var bad = await server.SendAsync(HttpMethod.Get, "/fhir/Observation/x", "not-a-token");

        await FhirAssert.IsOutcomeAsync(none, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.ToString());
        await FhirAssert.IsOutcomeAsync(bad, HttpStatusCode.Unauthorized);
        Assert.Contains("invalid_token", bad.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Request_OutsideScopes_Returns403Outcome(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var writer = await server.NewTenantTokenAsync("system/Observation.cruds");
        var reader = await server.NewTenantTokenAsync("system/Observation.rs");
        var id = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", writer, Observation), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var withId = Observation.Replace("{\"resourceType\":\"Observation\",", $"{{\"resourceType\":\"Observation\",\"id\":\"{id}\",", StringComparison.Ordinal);

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", reader, Observation), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Put, $"/fhir/Observation/{id}", reader, withId), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Delete, $"/fhir/Observation/{id}", reader), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient", writer), HttpStatusCode.Forbidden);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Patient", writer, """{"resourceType":"Patient"}"""), HttpStatusCode.Forbidden);
        // The reader's tenant is another hospital: read and search are allowed, and find nothing of the writer's.
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{id}", reader), HttpStatusCode.NotFound);
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation", reader), HttpStatusCode.OK);
        await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{id}", writer), HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Request_ToUnknownRouteTypeMethodOrFormat_ReturnsOutcome(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Spaceship/1", token), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient/1/2/3/4/5", token), HttpStatusCode.NotFound);
        var patch = await server.SendAsync(HttpMethod.Patch, "/fhir/Patient/1/_history", token, "[]");
        await FhirAssert.IsOutcomeAsync(patch, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("GET", string.Join(", ", patch.Content.Headers.Allow));
        var post = await server.SendAsync(HttpMethod.Post, "/fhir/Patient/1", token, "{}");
        await FhirAssert.IsOutcomeAsync(post, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("GET, PUT, PATCH, DELETE", string.Join(", ", post.Content.Headers.Allow));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?_format=xml", token), HttpStatusCode.NotAcceptable);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?birthdate=yesterday", token), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?shoe-size=42", token, null, r => r.Headers.TryAddWithoutValidation("Prefer", "handling=strict")), HttpStatusCode.BadRequest);
        var lenient = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Patient?shoe-size=42", token), HttpStatusCode.OK);
        Assert.Equal("outcome", lenient.GetProperty("entry")[0].GetProperty("search").GetProperty("mode").GetString());
        Assert.DoesNotContain("shoe-size", lenient.GetProperty("link")[0].GetProperty("url").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_IsAnonymousAndStatesWhatIsSupported()
    {
        var server = await servers.GetAsync(DatabaseProvider.Sqlite);

        var capability = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/metadata", null), HttpStatusCode.OK);

        Assert.Equal("CapabilityStatement", capability.GetProperty("resourceType").GetString());
        Assert.Equal("4.0.1", capability.GetProperty("fhirVersion").GetString());
        var observation = capability.GetProperty("rest")[0].GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Observation");
        Assert.Equal(["read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"],
            observation.GetProperty("interaction").EnumerateArray().Select(i => i.GetProperty("code").GetString()));
        var parameters = observation.GetProperty("searchParam").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("type").GetString());
        Assert.Equal("token", parameters["code"]);
        Assert.Equal("date", parameters["date"]);
        Assert.Equal("reference", parameters["subject"]);
        Assert.Equal("date", parameters["_lastUpdated"]);
        Assert.Equal("composite", parameters["code-value-quantity"]);
        Assert.Equal("validate", observation.GetProperty("operation")[0].GetProperty("name").GetString());
        Assert.Contains("Observation:subject", observation.GetProperty("searchInclude").EnumerateArray().Select(i => i.GetString()));
        Assert.False(observation.GetProperty("updateCreate").GetBoolean());
        Assert.True(observation.GetProperty("conditionalCreate").GetBoolean());
        Assert.True(observation.GetProperty("conditionalUpdate").GetBoolean());
        Assert.Equal("single", observation.GetProperty("conditionalDelete").GetString());
        Assert.Equal("not-supported", observation.GetProperty("conditionalRead").GetString());
        Assert.Equal(["application/json-patch+json"], capability.GetProperty("patchFormat").EnumerateArray().Select(f => f.GetString()));
    }
}
