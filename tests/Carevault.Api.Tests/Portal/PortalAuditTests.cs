using System.Net;
using System.Text;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Audit.Trail;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Portal;

/// <summary>Portal pages that show health data leave one audit record per view, written before the data is shown.</summary>
public sealed class PortalAuditTests
{
    const string Password = "a long enough passphrase";

    static async Task<(string Tenant, string UserId, string PatientId)> PatientAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var store = app.Services.GetRequiredService<ResourceStore>();
        var patient = await store.CreateAsync(tenant, "Patient", Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"family":"Audited"}]}"""), default);
        await store.CreateAsync(tenant, "Condition", Encoding.UTF8.GetBytes($$$"""{"resourceType":"Condition","subject":{"reference":"Patient/{{{patient.Value!.Id}}}"},"code":{"text":"Asthma"}}"""), default);
        var user = await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, null, "Patient/" + patient.Value.Id, default);
        return (tenant, user!.Id, patient.Value.Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ViewingMyRecord_WritesExactlyOneRecord_NamingThePatientAndTheViewer(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, userId, patientId) = await PatientAsync(app);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();
        var reader = app.Services.GetRequiredService<AuditReader>();
        var before = await reader.SearchAsync(tenant, new AuditFilter(), 1000, default);

        var (status, html) = await browser.GetAsync("/my-record");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Asthma", html, StringComparison.Ordinal);
        var added = (await reader.SearchAsync(tenant, new AuditFilter(), 1000, default)).Where(r => before.All(b => b.Seq != r.Seq)).ToList();
        var record = Assert.Single(added).Record;
        Assert.Equal("search", record.Action);
        Assert.Equal(AuditOutcomes.Success, record.Outcome);
        Assert.Equal(200, record.Status);
        Assert.Equal("user", record.ActorKind);
        Assert.Equal(userId, record.ActorId);
        Assert.Equal(Roles.Patient, record.ActorRole);
        Assert.Equal(["Patient/" + patientId], record.Entities);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task MyRecord_WhenTheTrailCannotBeWritten_ShowsNoData(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var (tenant, _, _) = await PatientAsync(app);
        using var browser = PortalBrowser.Open(app);
        (await browser.SignInAsync(tenant, "pat", Password)).Dispose();
        await app.Services.GetRequiredService<Db>().ExecuteAsync("DROP TABLE audit_entities", null, default);

        var (status, html) = await browser.GetAsync("/my-record");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.DoesNotContain("Asthma", html, StringComparison.Ordinal);
        Assert.Contains("cannot be shown right now", html, StringComparison.Ordinal);
    }
}
