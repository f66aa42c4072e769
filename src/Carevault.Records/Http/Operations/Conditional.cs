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
/// Conditional interactions (FHIR R4 http.html#ccreate, #cond-update, #cdelete): create with <c>If-None-Exist</c>
/// (0 matches → create, 1 → 200 with the existing resource, more → 412), <c>PUT [base]/[type]?search</c> (0 → create,
/// 1 → update it, more → 412) and <c>DELETE [base]/[type]?search</c> (0 → 404, 1 → delete it, more → 412).
/// The store resolves the condition and writes in one transaction under a per-condition lock (decision 0009).
/// A condition searches, so it needs the search scope besides the write's own.
/// </summary>
internal static class Conditional
{
    public const string IfNoneExistHeader = "If-None-Exist";

    /// <remarks>
    /// Not <see cref="Access.ChecksEachTarget"/>: the target is found inside the store, where no per-target check runs,
    /// so a caller whose access depends on the resource (or whose search is confined to a compartment, which would change
    /// what the condition means) is refused by <see cref="FhirRequest.Check"/>; they write by id.
    /// </remarks>
    public static void Map(IEndpointRouteBuilder group)
    {
        group.MapPut("/{type}", Update).WithName("FhirConditionalUpdate").Audited(AuditAction.Update);
        group.MapDelete("/{type}", Delete).WithName("FhirConditionalDelete").Audited(AuditAction.Delete);
    }

    /// <summary>POST with If-None-Exist; called by <see cref="Create"/> once its checks passed.</summary>
    public static async Task<IResult> CreateAsync(HttpContext http, FhirCall call, ReadOnlyMemory<byte> body, ResourceStore store, FhirSpec spec, SearchQueryParser parser, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, call.ResourceType, ScopePermissions.Search, out var search) is { } rejected) return rejected;
        // Create checks each target, so Check let a confined search through: a condition must search everywhere.
        if (search.Permit.PerTarget)
            return OperationOutcomes.Create(http, StatusCodes.Status403Forbidden, "forbidden", "This interaction is not available to this caller.");
        var condition = Parse(http, parser, search.Permit, http.Request.Headers[IfNoneExistHeader].ToString());
        if (condition.Error is not null) return condition.Error;
        var write = new TransactionWrite("POST", call.ResourceType, store.NewId(), body, null) { IfNoneExist = condition.Query };
        return await RunAsync(http, call, store, write, ct);
    }

    static async Task<IResult> Update(HttpContext http, string type, ResourceStore store, FhirSpec spec, SearchQueryParser parser, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Update, out var call) is { } rejected) return rejected;
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Search, out _) is { } noSearch) return noSearch;
        if (!FhirRequest.TryReadIfMatch(http.Request, out var ifMatch))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "If-Match must be a version ETag such as W/\"3\".");
        var condition = Parse(http, parser, call.Permit, http.Request.QueryString.Value ?? "");
        if (condition.Error is not null) return condition.Error;
        var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
        if (bodyError is not null) return bodyError;
        var write = new TransactionWrite("PUT", type, store.NewId(), body, ifMatch) { Condition = condition.Query };
        return await RunAsync(http, call, store, write, ct);
    }

    static async Task<IResult> Delete(HttpContext http, string type, ResourceStore store, FhirSpec spec, SearchQueryParser parser, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Delete, out var call) is { } rejected) return rejected;
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Search, out _) is { } noSearch) return noSearch;
        if (!FhirRequest.TryReadIfMatch(http.Request, out var ifMatch))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "If-Match must be a version ETag such as W/\"3\".");
        var condition = Parse(http, parser, call.Permit, http.Request.QueryString.Value ?? "");
        if (condition.Error is not null) return condition.Error;
        var write = new TransactionWrite("DELETE", type, "", default, ifMatch) { Condition = condition.Query };
        return await RunAsync(http, call, store, write, ct);
    }

    static async Task<IResult> RunAsync(HttpContext http, FhirCall call, ResourceStore store, TransactionWrite write, CancellationToken ct)
    {
        var result = await store.ExecuteAsync(call.Caller.TenantId, [write], [], ct);
        if (result.Error is { } error)
            // The store names entries of a Bundle; a single interaction has none.
            return OperationOutcomes.From(http, error with { Message = error.Message.Replace("Bundle.entry[0]: ", "", StringComparison.Ordinal), Issues = Unprefix(error.Issues, write.ResourceType) });
        var written = result.Value![0];
        return written.Outcome switch
        {
            WriteOutcome.Created => FhirRequest.WriteResult(http, StatusCodes.Status201Created, written.Resource, call.BaseUrl, location: true),
            WriteOutcome.Deleted => new FhirResult(StatusCodes.Status204NoContent, null, new Dictionary<string, string> { ["ETag"] = written.Resource.ETag }),
            _ => FhirRequest.WriteResult(http, StatusCodes.Status200OK, written.Resource, call.BaseUrl, location: false),
        };
    }

    static List<Carevault.Fhir.Validation.ValidationIssue>? Unprefix(IReadOnlyList<Carevault.Fhir.Validation.ValidationIssue>? issues, string type) =>
        issues?.Select(i => i with { Location = i.Location.StartsWith("Bundle.entry[0].resource", StringComparison.Ordinal) ? type + i.Location["Bundle.entry[0].resource".Length..] : i.Location }).ToList();

    /// <summary>The condition, parsed strictly (an unknown parameter must not widen the match); at least one criterion.</summary>
    static (SearchQuery? Query, FhirResult? Error) Parse(HttpContext http, SearchQueryParser parser, FhirPermit permit, string search)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(search))
        {
            if (name is "_format" or "_pretty") continue;
            foreach (var value in values) pairs.Add(new(name, value ?? ""));
        }
        var parsed = parser.Parse(permit.ResourceType, pairs, strict: true);
        if (parsed.Error is { } error) return (null, OperationOutcomes.From(http, error));
        if (permit.CheckReach(parsed.Value!) is { } unreachable) return (null, OperationOutcomes.From(http, unreachable));
        if (parsed.Value!.Criteria.Count == 0)
            return (null, OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "A conditional interaction needs at least one search criterion."));
        return (parsed.Value, null);
    }
}
