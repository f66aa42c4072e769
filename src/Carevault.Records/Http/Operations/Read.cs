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
/// read: <c>GET [base]/[type]/[id]</c> (FHIR R4 http.html#read). 404 unknown (or another tenant's), 410 deleted.
/// <c>_summary=true|text|data|false</c> and <c>_elements</c> return part of the resource, as in a search.
/// </summary>
internal static class Read
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/{type}/{id}", Handle).WithName("FhirRead").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Read);

    static async Task<IResult> Handle(HttpContext http, string type, string id, ResourceStore store, FhirSpec spec, SearchQueryParser parser, CancellationToken ct)
    {
        AuditedReferences.Add(http, type, id);
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Read, out var call) is { } rejected) return rejected;
        // The common read asks for the whole resource: the parser runs only when a subset is asked for.
        SearchQuery? subset = null;
        if (http.Request.Query.ContainsKey("_summary") || http.Request.Query.ContainsKey("_elements"))
        {
            var parsed = parser.Parse(type, http.Request.Query.Where(p => p.Key is "_summary" or "_elements")
                .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))), strict: true);
            if (parsed.Error is { } subsetError || parsed.Value!.SummaryCount)
                return OperationOutcomes.From(http, parsed.Error ?? new RecordError(RecordErrorKind.BadRequest, "invalid", "_summary=count applies to searches, not to a read."));
            subset = parsed.Value;
        }
        if (!ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id)"));
        var result = await store.ReadAsync(call.Caller.TenantId, type, id, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, call.Permit.Hide(error));
        var stored = result.Value!;
        if (call.Permit.Check(stored) is { } denied) return OperationOutcomes.From(http, denied);
        var body = subset is not null && SearchExtras.Projection(subset, spec) is { } project ? project(stored) : stored.Body;
        return new FhirResult(StatusCodes.Status200OK, body, FhirRequest.VersionHeaders(stored, call.BaseUrl, location: false));
    }
}
