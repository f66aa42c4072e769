using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;

namespace Carevault.Api.Tests.Fhir;

/// <summary>Errors raised by the server pipeline, not by a FHIR handler, still answer FHIR clients in FHIR.</summary>
public sealed class FhirServerErrorTests
{
    [Fact]
    public async Task BodyOverTheServerLimit_OnFhir_IsAnOperationOutcome_AndOnTheJsonApiAProblem()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Limits:MaxRequestBodyBytes"] = "2048" });
        using var client = app.CreateClient();
        var hospital = await Hospital.CreateAsync(app);
        var token = await hospital.GetTokenAsync(client);
        var big = $$"""{"resourceType":"Patient","name":[{"family":"{{new string('x', 4000)}}"}]}""";

        using var fhir = new HttpRequestMessage(HttpMethod.Post, "/fhir/Patient") { Content = new StringContent(big, Encoding.UTF8, "application/fhir+json") };
        fhir.Headers.Authorization = new("Bearer", token);
        var fhirResponse = await client.SendAsync(fhir);
        var api = await client.PostAsync(new Uri("/api/auth/login", UriKind.Relative), new StringContent(big, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, fhirResponse.StatusCode);
        Assert.Equal("application/fhir+json", fhirResponse.Content.Headers.ContentType?.MediaType);
        var outcome = JsonDocument.Parse(await fhirResponse.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Equal("too-costly", outcome.GetProperty("issue")[0].GetProperty("code").GetString());
        Assert.Equal(fhirResponse.Headers.GetValues("X-Correlation-Id").Single(), outcome.GetProperty("id").GetString());
        await ProblemAssert.IsProblemAsync(api, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }
}
