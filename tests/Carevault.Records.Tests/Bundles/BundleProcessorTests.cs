using System.Text;
using Carevault.Fhir.Spec;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Bundles;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Records.Tests.Bundles;

public sealed class BundleProcessorTests
{
    static CallerContext Caller(string tenant)
    {
        Assert.True(ScopeSet.TryParse("system/*.cruds", out var scopes));
        return new CallerContext(tenant, "client-1", "client", scopes);
    }

    static string Bundle(int entries) => "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
        + string.Join(',', Enumerable.Repeat("{\"resource\":{\"resourceType\":\"Patient\"},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}", entries)) + "]}";

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Process_WhenEntriesExceedTheLimit_IsTooLargeAndStoresNothing(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var processor = new BundleProcessor(h.Store, FhirSpec.R4, h.Parser, new BundleOptions { MaxEntries = 3 }, h.Clock, new FhirAccess(new OwnershipRules(FhirSpec.R4)));
        var tenant = StoreHarness.Tenant();

        var atLimit = await processor.ProcessAsync(Caller(tenant), Encoding.UTF8.GetBytes(Bundle(3)), "http://x/fhir", default);
        var over = await processor.ProcessAsync(Caller(tenant), Encoding.UTF8.GetBytes(Bundle(4)), "http://x/fhir", default);

        Assert.True(atLimit.IsSuccess, atLimit.Error?.Message);
        Assert.Equal(RecordErrorKind.TooLarge, over.Error?.Kind);
        await using var connection = await h.Db.OpenAsync(default);
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fhir_resources WHERE tenant_id = @tenant", new { tenant }));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Process_Transaction_WritesInTheCallersTenantOnly(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var processor = new BundleProcessor(h.Store, FhirSpec.R4, h.Parser, new BundleOptions(), h.Clock, new FhirAccess(new OwnershipRules(FhirSpec.R4)));
        var tenant = StoreHarness.Tenant();

        Assert.True((await processor.ProcessAsync(Caller(tenant), Encoding.UTF8.GetBytes(Bundle(2)), "http://x/fhir", default)).IsSuccess);

        Assert.Equal(2, (await h.SearchAsync(tenant, "Patient", "_total=accurate")).Total);
        Assert.Equal(0, (await h.SearchAsync(StoreHarness.Tenant(), "Patient", "_total=accurate")).Total);
    }
}
