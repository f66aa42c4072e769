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

/// <summary>create: <c>POST [base]/[type]</c> (FHIR R4 http.html#create): 201 with Location, ETag and Last-Modified;
/// with If-None-Exist a conditional create (<see cref="Conditional"/>).</summary>
internal static class Create
{
    public static void Map(IEndpointRouteBuilder group) => group.MapPost("/{type}", Handle).WithName("FhirCreate").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Create);

    static async Task<IResult> Handle(HttpContext http, string type, ResourceStore store, FhirSpec spec, SearchQueryParser parser, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Create, out var call) is { } rejected) return rejected;
        var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
        if (bodyError is not null) return bodyError;
        if (call.Permit.Check(null, body) is { } denied) return OperationOutcomes.From(http, denied);
        if (http.Request.Headers.ContainsKey(Conditional.IfNoneExistHeader)) return await Conditional.CreateAsync(http, call, body, store, spec, parser, ct);
        var result = await store.CreateAsync(call.Caller.TenantId, type, body, ct, AuditedReferences.InTransaction(http, StatusCodes.Status201Created));
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        return FhirRequest.WriteResult(http, StatusCodes.Status201Created, result.Value!, call.BaseUrl, location: true);
    }
}
