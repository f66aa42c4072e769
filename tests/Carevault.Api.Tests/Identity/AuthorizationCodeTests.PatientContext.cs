using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Clients;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Carevault.Api.Tests.Identity;

public sealed partial class AuthorizationCodeTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Flow_ForALinkedPatient_GivesThePatientContext_AndTheTokenReachesTheirRecordOnly(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var browser = app.CreateClient();
        using var appBackend = app.CreateClient();
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var patientId = (await store.CreateAsync(tenant, "Patient", Encoding.UTF8.GetBytes("""{"resourceType":"Patient","active":true}"""), default)).Value!.Id;
        var otherId = (await store.CreateAsync(tenant, "Patient", Encoding.UTF8.GetBytes("""{"resourceType":"Patient","active":true}"""), default)).Value!.Id;
        var user = await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, email: null, "Patient/" + patientId, default);
        Assert.True(ScopeSet.TryParse("patient/*.rs launch/patient offline_access", out var scopes));
        var (client, _) = await app.Services.GetRequiredService<ClientStore>().CreateAppAsync(tenant, "My Health App", scopes, [Redirect], isPublic: true, default);
        var setup = new Setup(tenant, client.Id, user!.Id);
        var (verifier, challenge) = Pkce();

        var code = QueryHelpers.ParseQuery((await ApproveAsync(browser, setup, challenge)).Query)["code"].ToString();
        var issued = await TokenAsync(appBackend, ("grant_type", "authorization_code"), ("client_id", setup.AppId), ("code", code), ("redirect_uri", Redirect), ("code_verifier", verifier));

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var body = await issued.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(patientId, body.GetProperty("patient").GetString());
        var token = body.GetProperty("access_token").GetString()!;
        Assert.Equal("Patient/" + patientId, new JsonWebToken(token).GetClaim("fhirUser").Value);
        // The refreshed token keeps the context.
        var refreshed = await (await TokenAsync(appBackend, ("grant_type", "refresh_token"), ("client_id", setup.AppId), ("refresh_token", body.GetProperty("refresh_token").GetString()!)))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(patientId, refreshed.GetProperty("patient").GetString());

        // patient/Observation.rs was granted (AuthorizeUrl's default scope): the Patient resource is outside it, the Observations
        // of their compartment are inside, another patient's are not there.
        var own = (await store.CreateAsync(tenant, "Observation", Encoding.UTF8.GetBytes($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patientId}}}"}}"""), default)).Value!.Id;
        var others = (await store.CreateAsync(tenant, "Observation", Encoding.UTF8.GetBytes($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{otherId}}}"}}"""), default)).Value!.Id;
        Assert.Equal(HttpStatusCode.Forbidden, (await appBackend.SendAsync(Hospital.Get($"/fhir/Patient/{patientId}", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await appBackend.SendAsync(Hospital.Get($"/fhir/Observation/{own}", token))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await appBackend.SendAsync(Hospital.Get($"/fhir/Observation/{others}", token))).StatusCode);
        var search = await (await appBackend.SendAsync(Hospital.Get("/fhir/Observation", token))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([own], search.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()));
    }
}
