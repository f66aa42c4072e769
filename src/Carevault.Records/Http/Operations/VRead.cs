using System.Globalization;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Records.Access;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>vread: <c>GET [base]/[type]/[id]/_history/[vid]</c> (FHIR R4 http.html#vread).</summary>
internal static class VRead
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/{type}/{id}/_history/{vid}", Handle).WithName("FhirVRead").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.VRead);

    static async Task<IResult> Handle(HttpContext http, string type, string id, string vid, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        AuditedReferences.Add(http, type, id);
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Read, out var call) is { } rejected) return rejected;
        if (!ResourceIds.IsValid(id) || !long.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id or version)"));
        var result = await store.ReadVersionAsync(call.Caller.TenantId, type, id, version, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, call.Permit.Hide(error));
        if (call.Permit.Check(result.Value!) is { } denied) return OperationOutcomes.From(http, denied);
        return new FhirResult(StatusCodes.Status200OK, result.Value!.Body, FhirRequest.VersionHeaders(result.Value, call.BaseUrl, location: false));
    }
}
