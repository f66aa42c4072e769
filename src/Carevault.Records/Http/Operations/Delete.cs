using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Records.Access;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// delete: <c>DELETE [base]/[type]/[id]</c> (FHIR R4 http.html#delete): 204; the deletion is a version in the history,
/// later reads answer 410. Deleting a deleted resource is 204 again; an unknown id is 404.
/// </summary>
internal static class Delete
{
    public static void Map(IEndpointRouteBuilder group) => group.MapDelete("/{type}/{id}", Handle).WithName("FhirDelete").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Delete);

    static async Task<IResult> Handle(HttpContext http, string type, string id, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        AuditedReferences.Add(http, type, id);
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Delete, out var call) is { } rejected) return rejected;
        if (!FhirRequest.TryReadIfMatch(http.Request, out var ifMatch))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "If-Match must be a version ETag such as W/\"3\".");
        if (!ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id)"));
        var guarded = await call.Permit.CheckWriteAsync(store, id, body: null, ifMatch, ct);
        if (guarded.Error is { } denied) return OperationOutcomes.From(http, denied);
        var result = await store.DeleteAsync(call.Caller.TenantId, type, id, guarded.Value, ct, AuditedReferences.InTransaction(http, StatusCodes.Status204NoContent));
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        return new FhirResult(StatusCodes.Status204NoContent, null, new Dictionary<string, string> { ["ETag"] = result.Value!.ETag });
    }
}
