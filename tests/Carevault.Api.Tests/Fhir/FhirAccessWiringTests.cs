using Carevault.Records.Access;
using Carevault.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// Every /fhir operation that serves people runs the per-target access checks (ChecksEachTarget). An operation without
/// them is refused to patients and doctors at run time (fail closed); this test names it, so it gets wired.
/// </summary>
public sealed class FhirAccessWiringTests(FhirServers servers) : IClassFixture<FhirServers>
{
    [Fact]
    public async Task FhirEndpoints_WithoutPerTargetChecks_AreOnlyThoseThatNeedNone()
    {
        var server = await servers.GetAsync(DatabaseProvider.Sqlite);
        var withoutChecks = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/fhir", StringComparison.Ordinal) == true && e.Metadata.GetMetadata<ChecksEachTarget>() is null)
            // AuditEvent is served by the audit module from the trail, to the tenant's auditors only (its own tests).
            .Where(e => e.RoutePattern.RawText?.StartsWith("/fhir/AuditEvent/", StringComparison.Ordinal) != true)
            .Select(e => e.RoutePattern.RawText!).Order(StringComparer.Ordinal).ToList();

        // metadata is anonymous, the fallback answers 404/405, transaction/batch check each entry in BundleProcessor,
        // system history takes only the types readable whatever the resource, and conditional update/delete
        // (PUT/DELETE /fhir/{type}) find their target inside the store, so target-dependent callers are refused.
        // $validate reads the stored resource only for callers whose access does not depend on it. $export refuses
        // target-dependent callers at kick-off (ExportKickOff), and its status and files are the requester's own.
        // $import refuses target-dependent callers itself (a bulk load makes no per-line access decision).
        Assert.Equal(["/fhir/", "/fhir/$export", "/fhir/$export-file/{id}/{name}", "/fhir/$export-status/{id}", "/fhir/$export-status/{id}", "/fhir/$import",
            "/fhir/Group/{id}/$export", "/fhir/Patient/$export", "/fhir/_history", "/fhir/metadata", "/fhir/{**path}", "/fhir/{type}", "/fhir/{type}", "/fhir/{type}/$validate", "/fhir/{type}/{id}/$validate"], withoutChecks);
    }
}
