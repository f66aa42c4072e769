using System.Net;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>$validate at type and instance level (FHIR R4 resource-operation-validate): nothing is stored.</summary>
public sealed class FhirValidateTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Observation = """{"resourceType":"Observation","status":"final","code":{"text":"weight"}}""";

    static string Severity(System.Text.Json.JsonElement outcome) => outcome.GetProperty("issue")[0].GetProperty("severity").GetString()!;

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Validate_ReportsIssuesWithoutStoring(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();

        var valid = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/$validate", token, Observation), HttpStatusCode.OK);
        var invalid = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/$validate", token, Observation.Replace("final", "finished", StringComparison.Ordinal)), HttpStatusCode.OK);
        var wrapped = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/$validate", token,
            $$"""{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{{Observation.Replace("final", "finished", StringComparison.Ordinal)}} }]}"""), HttpStatusCode.OK);

        Assert.Equal("OperationOutcome", valid.GetProperty("resourceType").GetString());
        Assert.Equal("information", Severity(valid));
        Assert.Equal("error", Severity(invalid));
        Assert.Equal("Observation.status", invalid.GetProperty("issue")[0].GetProperty("expression")[0].GetString());
        Assert.Equal("error", Severity(wrapped));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/$validate", token, "{not json"), HttpStatusCode.BadRequest);
        var history = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/_history", token), HttpStatusCode.OK);
        Assert.Equal(0, history.GetProperty("entry").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ValidateInstance_ChecksTheIdAndThatTheResourceExists(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var id = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var withId = Observation.Replace("{\"resourceType\":\"Observation\",", $"{{\"resourceType\":\"Observation\",\"id\":\"{id}\",", StringComparison.Ordinal);

        Assert.Equal("information", Severity(await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/Observation/{id}/$validate", token, withId), HttpStatusCode.OK)));
        Assert.Equal("error", Severity(await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/Observation/{id}/$validate", token, Observation), HttpStatusCode.OK)));
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/unknown/$validate", token, withId.Replace(id, "unknown", StringComparison.Ordinal)), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, $"/fhir/Observation/{id}/$validate", await server.NewTenantTokenAsync(), withId), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation/$validate", await server.NewTenantTokenAsync("system/Patient.rs"), Observation), HttpStatusCode.Forbidden);
        var read = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, $"/fhir/Observation/{id}", token), HttpStatusCode.OK);
        Assert.Equal("1", read.GetProperty("meta").GetProperty("versionId").GetString());
    }
}
