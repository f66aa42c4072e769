using Carevault.Fhir.Spec;
using Carevault.Identity.Scopes;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// patch: <c>PATCH [base]/[type]/[id]</c> with a JSON Patch (RFC 6902, <c>application/json-patch+json</c>; FHIR R4
/// http.html#patch), honouring If-Match. The result is validated like an update (422 with locations); a malformed
/// patch is 400, another content type (XML Patch, FHIRPath Patch) 415.
/// </summary>
internal static class Patch
{
    public const string JsonPatchType = "application/json-patch+json";

    public static void Map(IEndpointRouteBuilder group) => group.MapPatch("/{type}/{id}", Handle).WithName("FhirPatch");

    static async Task<IResult> Handle(HttpContext http, string type, string id, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Update, out var call) is { } rejected) return rejected;
        if (!FhirRequest.TryReadIfMatch(http.Request, out var ifMatch))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "If-Match must be a version ETag such as W/\"3\".");
        if (!ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id)"));
        if (!string.Equals(http.Request.ContentType?.Split(';')[0].Trim(), JsonPatchType, StringComparison.OrdinalIgnoreCase))
            return OperationOutcomes.Create(http, StatusCodes.Status415UnsupportedMediaType, "not-supported", $"PATCH takes a JSON Patch ({JsonPatchType}).");
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        var result = await store.PatchAsync(call.Caller.TenantId, type, id, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ifMatch, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        return FhirRequest.WriteResult(http, StatusCodes.Status200OK, result.Value!, call.BaseUrl, location: false);
    }
}
