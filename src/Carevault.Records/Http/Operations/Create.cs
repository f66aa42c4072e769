using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>create: <c>POST [base]/[type]</c> (FHIR R4 http.html#create): 201 with Location, ETag and Last-Modified.</summary>
internal static class Create
{
    public static void Map(IEndpointRouteBuilder group) => group.MapPost("/{type}", Handle).WithName("FhirCreate").Audited(AuditAction.Create);

    static async Task<IResult> Handle(HttpContext http, string type, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Create, out var call) is { } rejected) return rejected;
        var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
        if (bodyError is not null) return bodyError;
        var result = await store.CreateAsync(call.Caller.TenantId, type, body, ct, AuditedReferences.InTransaction(http, StatusCodes.Status201Created));
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        return FhirRequest.WriteResult(http, StatusCodes.Status201Created, result.Value!, call.BaseUrl, location: true);
    }
}
