using System.Globalization;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// history-system: <c>GET [base]/_history</c> (FHIR R4 http.html#history): every version in the tenant, newest first,
/// of the types the token may read; <c>_count</c>, <c>_since</c>, and next links that continue by history sequence.
/// </summary>
internal static class SystemHistory
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/_history", Handle).WithName("FhirHistorySystem").Audited(AuditAction.History);

    static async Task<IResult> Handle(HttpContext http, ResourceStore store, FhirSpec spec, FhirAccess access, TimeProvider clock, CancellationToken ct)
    {
        if (FhirRequest.FormatError(http) is { } formatError) return formatError;
        var caller = CallerContext.From(http.User);
        if (caller is null) return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        // The types this caller may read whatever the resource (scopes and access policy); types whose reading depends
        // on the resource (a patient's own compartment) are left to search and instance history.
        var types = FhirRequest.SupportedTypes(spec).Where(t => access.Decide(caller, t, ClinicalAction.Read).Value is { PerTarget: false }).ToList();
        if (types.Count == 0) return OperationOutcomes.Create(http, StatusCodes.Status403Forbidden, "forbidden", "This caller may not read the history of any resource type as a whole.");

        if (HistoryParameters.TryRead(http, out var page) is { } badParameters) return badParameters;
        var entries = await store.SystemHistoryAsync(caller.TenantId, types, page.Since, page.Before, page.Count, ct);

        var baseUrl = FhirRequest.BaseUrl(http.Request);
        var path = $"{baseUrl}/_history";
        return new FhirResult(StatusCodes.Status200OK, BundleWriter.History(baseUrl, entries, page.Links(path, entries), clock.GetUtcNow()));
    }
}
