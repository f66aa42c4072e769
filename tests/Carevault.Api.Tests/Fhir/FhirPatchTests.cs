using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>PATCH with JSON Patch (FHIR R4 http.html#patch, RFC 6902).</summary>
public sealed class FhirPatchTests(FhirServers servers) : IClassFixture<FhirServers>
{
    const string Observation = """{"resourceType":"Observation","status":"preliminary","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72,"unit":"/min"}}""";

    static Task<HttpResponseMessage> PatchAsync(FhirServer server, string token, string path, string patch, string contentType = "application/json-patch+json", string? ifMatch = null) =>
        server.SendAsync(HttpMethod.Patch, path, token, null, r =>
        {
            r.Content = new StringContent(patch, Encoding.UTF8);
            r.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            if (ifMatch is not null) r.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        });

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Patch_AppliesAndVersions_HonouringIfMatch(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var id = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation), HttpStatusCode.Created)).GetProperty("id").GetString()!;

        var response = await PatchAsync(server, token, $"/fhir/Observation/{id}", """[{"op":"test","path":"/status","value":"preliminary"},{"op":"replace","path":"/status","value":"final"},{"op":"replace","path":"/valueQuantity/value","value":75}]""", ifMatch: "W/\"1\"");
        var patched = await FhirAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("W/\"2\"", response.Headers.ETag?.ToString());
        Assert.Equal("final", patched.GetProperty("status").GetString());
        Assert.Equal(75, patched.GetProperty("valueQuantity").GetProperty("value").GetInt32());
        Assert.Equal("/min", patched.GetProperty("valueQuantity").GetProperty("unit").GetString());

        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, $"/fhir/Observation/{id}", """[{"op":"remove","path":"/valueQuantity"}]""", ifMatch: "W/\"1\""), HttpStatusCode.PreconditionFailed);
        var search = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, "/fhir/Observation?status=final&value-quantity=75", token), HttpStatusCode.OK);
        Assert.Equal(1, search.GetProperty("entry").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Patch_BadInput_AnswersOutcomeAndStoresNothing(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var token = await server.NewTenantTokenAsync();
        var id = (await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Post, "/fhir/Observation", token, Observation), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var path = $"/fhir/Observation/{id}";

        var invalid = await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """[{"op":"replace","path":"/status","value":"finished"}]"""), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Observation.status", invalid.GetProperty("issue")[0].GetProperty("expression")[0].GetString());
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """[{"op":"remove","path":"/status"}]"""), HttpStatusCode.UnprocessableEntity);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """[{"op":"test","path":"/status","value":"final"}]"""), HttpStatusCode.UnprocessableEntity);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """{"op":"replace"}"""), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """[{"op":"increment","path":"/status"}]"""), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """[{"op":"replace","path":"/id","value":"x"}]"""), HttpStatusCode.BadRequest);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, path, """{"resourceType":"Parameters"}""", "application/fhir+json"), HttpStatusCode.UnsupportedMediaType);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, token, "/fhir/Observation/unknown", "[]"), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, await server.NewTenantTokenAsync(), path, "[]"), HttpStatusCode.NotFound);
        await FhirAssert.IsOutcomeAsync(await PatchAsync(server, await server.NewTenantTokenAsync("system/Observation.rs"), path, "[]"), HttpStatusCode.Forbidden);

        var read = await FhirAssert.JsonAsync(await server.SendAsync(HttpMethod.Get, path, token), HttpStatusCode.OK);
        Assert.Equal("1", read.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("preliminary", read.GetProperty("status").GetString());
    }
}
