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
/// update: <c>PUT [base]/[type]/[id]</c> (FHIR R4 http.html#update) with optional <c>If-Match: W/"n"</c> (412 when
/// another version is current). Ids are server-assigned, so updating an unknown id is 405 (no update-as-create).
/// </summary>
internal static class Update
{
    public static void Map(IEndpointRouteBuilder group) => group.MapPut("/{type}/{id}", Handle).WithName("FhirUpdate").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Update);

    static async Task<IResult> Handle(HttpContext http, string type, string id, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        AuditedReferences.Add(http, type, id);
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Update, out var call) is { } rejected) return rejected;
        if (!FhirRequest.TryReadIfMatch(http.Request, out var ifMatch))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "If-Match must be a version ETag such as W/\"3\".");
        if (!ResourceIds.IsValid(id))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "The id in the URL is not a valid FHIR id.");
        var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
        if (bodyError is not null) return bodyError;
        var guarded = await call.Permit.CheckWriteAsync(store, id, body, ifMatch, ct);
        if (guarded.Error is { } denied) return OperationOutcomes.From(http, denied);
        var result = await store.UpdateAsync(call.Caller.TenantId, type, id, body, guarded.Value, ct, AuditedReferences.InTransaction(http, StatusCodes.Status200OK));
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        return FhirRequest.WriteResult(http, StatusCodes.Status200OK, result.Value!, call.BaseUrl, location: false);
    }
}
