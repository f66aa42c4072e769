using System.Globalization;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Records.Access;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// history-instance <c>GET [base]/[type]/[id]/_history</c> and history-type <c>GET [base]/[type]/_history</c>
/// (FHIR R4 http.html#history): newest first, <c>_count</c>, <c>_since</c>; next links continue by history sequence.
/// </summary>
internal static class History
{
    public static void Map(IEndpointRouteBuilder group)
    {
        group.MapGet("/{type}/{id}/_history", (HttpContext http, string type, string id, ResourceStore store, FhirSpec spec, TimeProvider clock, CancellationToken ct) =>
            Handle(http, type, id, store, spec, clock, ct)).WithName("FhirHistoryInstance").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.History);
        group.MapGet("/{type}/_history", (HttpContext http, string type, ResourceStore store, FhirSpec spec, TimeProvider clock, CancellationToken ct) =>
            Handle(http, type, null, store, spec, clock, ct)).WithName("FhirHistoryType").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.History);
    }

    static async Task<IResult> Handle(HttpContext http, string type, string? id, ResourceStore store, FhirSpec spec, TimeProvider clock, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Read, out var call) is { } rejected) return rejected;
        if (id is not null && !ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id)"));
        if (HistoryParameters.TryRead(http, out var page) is { } badParameters) return badParameters;
        var result = await store.HistoryAsync(call.Caller.TenantId, type, id, page.Since, page.Before, page.Count, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        var entries = result.Value!;
        // A caller whose access depends on the target sees only the versions they may read; paging still follows the
        // raw history sequence, so a page may be short but no version is skipped or repeated.
        var visible = call.Permit.Visible(entries);
        if (id is not null && page.Before is null && visible.Count == 0 && entries.Count > 0)
            return OperationOutcomes.From(http, RecordError.NotFound(type, id));
        AuditedReferences.Add(http, visible.Select(e => e.Resource));

        var path = $"{call.BaseUrl}/{type}" + (id is null ? "" : "/" + id) + "/_history";
        return new FhirResult(StatusCodes.Status200OK, BundleWriter.History(call.BaseUrl, visible, page.Links(path, entries), clock.GetUtcNow()));
    }
}
