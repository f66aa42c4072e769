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
        var result = await store.HistoryAsync(call.Caller.TenantId, type, id, since, before, count, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        var entries = result.Value!;
        // A caller whose access depends on the target sees only the versions they may read; paging still follows the
        // raw history sequence, so a page may be short but no version is skipped or repeated.
        var visible = call.Permit.Visible(entries);
        if (id is not null && before is null && visible.Count == 0 && entries.Count > 0)
            return OperationOutcomes.From(http, RecordError.NotFound(type, id));
        AuditedReferences.Add(http, visible.Select(e => e.Resource));

        var path = $"{call.BaseUrl}/{type}" + (id is null ? "" : "/" + id) + "/_history";
        var echo = new List<KeyValuePair<string, string>> { new("_count", count.ToString(CultureInfo.InvariantCulture)) };
        if (query["_since"].ToString() is { Length: > 0 } sinceText) echo.Add(new("_since", sinceText));
        var links = new List<BundleWriter.Link> { new("self", path + BundleWriter.Query(before is null ? echo : [.. echo, new(SearchQueryParser.CursorParameter, BundleWriter.Number(before.Value))])) };
        if (entries.Count == count && count > 0)
            links.Add(new("next", path + BundleWriter.Query([.. echo, new(SearchQueryParser.CursorParameter, BundleWriter.Number(entries[^1].Seq))])));
        return new FhirResult(StatusCodes.Status200OK, BundleWriter.History(call.BaseUrl, visible, links, clock.GetUtcNow()));
    }
}
