using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Identity;

/// <summary>People linked to FHIR resources (fhirUser): set by administrators and by self-registration, carried by sessions.</summary>
public sealed class FhirUserTests
{
    const string Password = "fhir user passphrase";

    static async Task<(string Tenant, HttpClient Admin)> TenantAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Clinic", default);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "admin", Password, Roles.Admin, default);
        return (tenant, await SignInAsync(app, tenant, "admin"));
    }

    static async Task<HttpClient> SignInAsync(CarevaultApp app, string tenant, string username)
    {
        var client = app.CreateClient();
        (await client.PostAsJsonAsync("/api/auth/login", new { tenant, username, password = Password })).EnsureSuccessStatusCode();
        return client;
    }

    static async Task<string> CreateAsync(CarevaultApp app, string tenant, string json)
    {
        var type = JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()!;
        var created = await app.Services.GetRequiredService<ResourceStore>().CreateAsync(tenant, type, Encoding.UTF8.GetBytes(json), default);
        return created.Value!.Id;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task CreateUser_WithFhirUser_ChecksRoleAndExistence_AndTheSessionCarriesIt(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, admin) = await TenantAsync(app);
        var (otherTenant, _) = await TenantAsync(app);
        var practitioner = await CreateAsync(app, tenant, """{"resourceType":"Practitioner","name":[{"family":"Who"}]}""");
        var elsewhere = await CreateAsync(app, otherTenant, """{"resourceType":"Practitioner","name":[{"family":"Who"}]}""");
        var observation = await CreateAsync(app, tenant, $$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"performer":[{"reference":"Practitioner/{{practitioner}}"}]}""");

        var wrongType = await admin.PostAsJsonAsync("/api/admin/users", new { username = "d0", password = Password, role = "doctor", fhirUser = "Patient/" + practitioner });
        var unknown = await admin.PostAsJsonAsync("/api/admin/users", new { username = "d1", password = Password, role = "doctor", fhirUser = "Practitioner/" + Guid.NewGuid().ToString("N") });
        var otherTenants = await admin.PostAsJsonAsync("/api/admin/users", new { username = "d2", password = Password, role = "doctor", fhirUser = "Practitioner/" + elsewhere });
        var staffLinked = await admin.PostAsJsonAsync("/api/admin/users", new { username = "s1", password = Password, role = "staff", fhirUser = "Practitioner/" + practitioner });
        var created = await admin.PostAsJsonAsync("/api/admin/users", new { username = "doc", password = Password, role = "doctor", fhirUser = "Practitioner/" + practitioner });

        foreach (var refused in new[] { wrongType, unknown, otherTenants, staffLinked })
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "validation-failed");
            Assert.True(problem.GetProperty("errors").TryGetProperty("fhirUser", out _));
        }
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("Practitioner/" + practitioner, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fhirUser").GetString());

        using var doctor = await SignInAsync(app, tenant, "doc");
        var me = await doctor.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal("Practitioner/" + practitioner, me.GetProperty("fhirUser").GetString());
        Assert.Equal(["user/*.cruds"], me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        // The session reaches /fhir with the doctor's policy: their own entry can be updated.
        var update = new StringContent($$"""{"resourceType":"Observation","id":"{{observation}}","status":"amended","code":{"text":"x"},"performer":[{"reference":"Practitioner/{{practitioner}}"}]}""",
            Encoding.UTF8, "application/fhir+json");
        Assert.Equal(HttpStatusCode.OK, (await doctor.PutAsync($"/fhir/Observation/{observation}", update)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task LinkEndpoint_LinksAndUnlinks_InTheCallersTenantOnly(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, admin) = await TenantAsync(app);
        var (_, otherAdmin) = await TenantAsync(app);
        var patientResource = await CreateAsync(app, tenant, """{"resourceType":"Patient","name":[{"family":"Linked"}]}""");
        var user = (await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, default))!;
        using var patient = await SignInAsync(app, tenant, "pat");

        var linked = await admin.PutAsJsonAsync($"/api/admin/users/{user.Id}/fhir-user", new { fhirUser = "Patient/" + patientResource });
        var fromOtherTenant = await otherAdmin.PutAsJsonAsync($"/api/admin/users/{user.Id}/fhir-user", new { fhirUser = (string?)null });
        var wrongType = await admin.PutAsJsonAsync($"/api/admin/users/{user.Id}/fhir-user", new { fhirUser = "Practitioner/" + patientResource });

        Assert.Equal(HttpStatusCode.NoContent, linked.StatusCode);
        await ProblemAssert.IsProblemAsync(fromOtherTenant, HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(wrongType, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal("Patient/" + patientResource, (await patient.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("fhirUser").GetString());
        Assert.Equal(HttpStatusCode.OK, (await patient.GetAsync($"/fhir/Patient/{patientResource}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync($"/api/admin/users/{user.Id}/fhir-user", new { fhirUser = (string?)null })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await patient.GetAsync($"/fhir/Patient/{patientResource}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await patient.GetAsync($"/fhir/Patient/{patientResource}/$everything")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Register_CreatesTheirPatient_AndTheSessionSeesExactlyTheirCompartment(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, admin) = await TenantAsync(app);
        (await admin.PutAsJsonAsync("/api/admin/settings", new { allowPatientRegistration = true })).EnsureSuccessStatusCode();
        using var browser = app.CreateClient();

        var registered = await browser.PostAsJsonAsync("/api/auth/register", new { tenant, username = "self", password = Password });
        var taken = await browser.PostAsJsonAsync("/api/auth/register", new { tenant, username = "self", password = Password });

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var fhirUser = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fhirUser").GetString()!;
        Assert.StartsWith("Patient/", fhirUser, StringComparison.Ordinal);
        var patientId = fhirUser["Patient/".Length..];
        await ProblemAssert.IsProblemAsync(taken, HttpStatusCode.Conflict, "conflict");
        // The refused registration stored no second Patient: it was one transaction with the account.
        var store = app.Services.GetRequiredService<ResourceStore>();
        var patients = await store.SearchAsync(tenant, new SearchQuery { ResourceType = "Patient", Criteria = [] }, default);
        Assert.Equal([patientId], patients.Resources.Select(p => p.Id));

        var own = await CreateAsync(app, tenant, $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patientId}}}"}}""");
        await CreateAsync(app, tenant, """{"resourceType":"Observation","status":"final","code":{"text":"y"}}""");
        using var patient = await SignInAsync(app, tenant, "self");
        Assert.Equal(HttpStatusCode.OK, (await patient.GetAsync($"/fhir/Patient/{patientId}")).StatusCode);
        var search = await patient.GetFromJsonAsync<JsonElement>("/fhir/Observation");
        Assert.Equal([own], search.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()));
        var write = await patient.PostAsync("/fhir/Observation", new StringContent("""{"resourceType":"Observation","status":"final","code":{"text":"z"}}""", Encoding.UTF8, "application/fhir+json"));
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }
}
