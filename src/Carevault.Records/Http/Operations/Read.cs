using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Records.Access;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>read: <c>GET [base]/[type]/[id]</c> (FHIR R4 http.html#read). 404 unknown (or another tenant's), 410 deleted.</summary>
internal static class Read
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/{type}/{id}", Handle).WithName("FhirRead").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Read);

    static async Task<IResult> Handle(HttpContext http, string type, string id, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        AuditedReferences.Add(http, type, id);
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Read, out var call) is { } rejected) return rejected;
        if (!ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id)"));
        var result = await store.ReadAsync(call.Caller.TenantId, type, id, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, call.Permit.Hide(error));
        if (call.Permit.Check(result.Value!) is { } denied) return OperationOutcomes.From(http, denied);
        return new FhirResult(StatusCodes.Status200OK, result.Value!.Body, FhirRequest.VersionHeaders(result.Value, call.BaseUrl, location: false));
    }
}
