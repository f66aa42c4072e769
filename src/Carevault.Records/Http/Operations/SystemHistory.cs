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

        var query = http.Request.Query;
        var count = SearchQueryParser.DefaultCount;
        long? since = null, before = null;
        if (query["_count"].ToString() is { Length: > 0 } c && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > SearchQueryParser.MaxCount))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", $"_count must be a whole number from 0 to {SearchQueryParser.MaxCount}.");
        if (query["_since"].ToString() is { Length: > 0 } s)
        {
            if (!FhirDateRange.TryParse(s, out var range)) return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "_since must be an instant.");
            since = range.Low;
        }
        if (query[SearchQueryParser.CursorParameter].ToString() is { Length: > 0 } cursor)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var b)) return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "The paging cursor is not valid.");
            before = b;
        }
        var entries = await store.SystemHistoryAsync(caller.TenantId, types, since, before, count, ct);

        var baseUrl = FhirRequest.BaseUrl(http.Request);
        var path = $"{baseUrl}/_history";
        var echo = new List<KeyValuePair<string, string>> { new("_count", count.ToString(CultureInfo.InvariantCulture)) };
        if (query["_since"].ToString() is { Length: > 0 } sinceText) echo.Add(new("_since", sinceText));
        var links = new List<BundleWriter.Link> { new("self", path + BundleWriter.Query(before is null ? echo : [.. echo, new(SearchQueryParser.CursorParameter, BundleWriter.Number(before.Value))])) };
        if (entries.Count == count && count > 0)
            links.Add(new("next", path + BundleWriter.Query([.. echo, new(SearchQueryParser.CursorParameter, BundleWriter.Number(entries[^1].Seq))])));
        return new FhirResult(StatusCodes.Status200OK, BundleWriter.History(baseUrl, entries, links, clock.GetUtcNow()));
    }
}
