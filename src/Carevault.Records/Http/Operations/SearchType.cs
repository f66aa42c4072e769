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
/// search-type: <c>GET [base]/[type]?…</c> and <c>POST [base]/[type]/_search</c> with a form body (FHIR R4
/// http.html#search, search.html). A searchset Bundle in id order; the next link continues after the last id, so
/// it stays correct while others write. Unknown parameters: <c>Prefer: handling=strict</c> → 400, else ignored and
/// reported in an OperationOutcome entry.
/// </summary>
internal static class SearchType
{
    public static void Map(IEndpointRouteBuilder group)
    {
        group.MapGet("/{type}", (HttpContext http, string type, ResourceStore store, SearchQueryParser parser, FhirSpec spec, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(http, type, Pairs(http.Request.Query), store, parser, spec, clock, ct)).WithName("FhirSearch").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Search);
        group.MapPost("/{type}/_search", async (HttpContext http, string type, ResourceStore store, SearchQueryParser parser, FhirSpec spec, TimeProvider clock, CancellationToken ct) =>
        {
            if (!http.Request.HasFormContentType)
                return OperationOutcomes.Create(http, StatusCodes.Status415UnsupportedMediaType, "not-supported", "POST _search takes application/x-www-form-urlencoded parameters.");
            var form = await http.Request.ReadFormAsync(ct);
            return await HandleAsync(http, type, [.. Pairs(http.Request.Query), .. Pairs(form)], store, parser, spec, clock, ct);
        }).WithName("FhirSearchPost").DisableAntiforgery().WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Search);
    }

    static List<KeyValuePair<string, string>> Pairs(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> values) =>
        values.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();

    static async Task<IResult> HandleAsync(HttpContext http, string type, List<KeyValuePair<string, string>> parameters, ResourceStore store,
        SearchQueryParser parser, FhirSpec spec, TimeProvider clock, CancellationToken ct)
    {
        AuditedReferences.Query(http, parameters);
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Search, out var call) is { } rejected) return rejected;
        var strict = string.Equals(FhirRequest.Prefer(http.Request, "handling"), "strict", StringComparison.OrdinalIgnoreCase);
        var parsed = parser.Parse(type, parameters, strict);
        if (parsed.Error is { } error) return OperationOutcomes.From(http, error);
        return await RespondAsync(http, call, call.Permit.Confine(parsed.Value!), $"{call.BaseUrl}/{type}", store, spec, clock, ct);
    }

    /// <summary>
    /// Runs a parsed, access-confined search and answers the searchset (self and next links, included resources the
    /// caller may read, <c>_elements</c>, a warning for ignored parameters); shared with the compartment search.
    /// </summary>
    internal static async Task<IResult> RespondAsync(HttpContext http, FhirCall call, SearchQuery query, string path, ResourceStore store, FhirSpec spec,
        TimeProvider clock, CancellationToken ct)
    {
        if (call.Permit.CheckReach(query) is { } unreachable) return OperationOutcomes.From(http, unreachable);
        var page = await store.SearchAsync(call.Caller.TenantId, query, ct, SearchExtras.MayRead(call.Permit.Decider, call.Caller));
        AuditedReferences.Add(http, page.Resources);

        var echo = query.Criteria.Select(c => new KeyValuePair<string, string>(c.RawName, c.RawValue)).ToList();
        echo.AddRange(SearchExtras.Echo(query));
        if (query.SummaryCount) echo.Add(new("_summary", "count"));
        else
        {
            echo.Add(new("_count", query.Count.ToString(CultureInfo.InvariantCulture)));
            if (query.Total == SearchTotal.Accurate) echo.Add(new("_total", "accurate"));
        }
        var cursor = http.Request.Query[SearchQueryParser.CursorParameter].ToString();
        var links = new List<BundleWriter.Link> { new("self", path + BundleWriter.Query(cursor.Length == 0 ? echo : [.. echo, new(SearchQueryParser.CursorParameter, cursor)])) };
        if (page.NextAfter is not null) links.Add(new("next", path + BundleWriter.Query([.. echo, new(SearchQueryParser.CursorParameter, page.NextAfter)])));
        var outcome = query.Ignored.Count == 0 ? null : OperationOutcomes.Write(http.TraceIdentifier, "warning", "not-supported",
            "Ignored unsupported search parameters: " + string.Join(", ", query.Ignored) + ".", null);
        return new FhirResult(StatusCodes.Status200OK, BundleWriter.SearchSet(call.BaseUrl, page.Resources, page.Total, links, outcome, clock.GetUtcNow(),
            page.Included, SearchExtras.Projection(query, spec)));
    }
}
