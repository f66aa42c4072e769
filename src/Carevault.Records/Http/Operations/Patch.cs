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
/// patch: <c>PATCH [base]/[type]/[id]</c> with a JSON Patch (RFC 6902, <c>application/json-patch+json</c>; FHIR R4
/// http.html#patch), honouring If-Match. The result is validated like an update (422 with locations); a malformed
/// patch is 400, another content type (XML Patch, FHIRPath Patch) 415.
/// </summary>
internal static class Patch
{
    public const string JsonPatchType = "application/json-patch+json";

    public static void Map(IEndpointRouteBuilder group) => group.MapPatch("/{type}/{id}", Handle).WithName("FhirPatch").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Update);

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
        var patch = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (call.Permit.PerTarget)
        {
            // Access depends on the resource: check the current version and the patched result, and patch exactly the
            // version checked (If-Match), so a change in between is a 412 rather than a write the check never saw.
            var checkedVersion = await call.Permit.CheckWriteAsync(store, id, current => Patched(current, patch), ifMatch, ct);
            if (checkedVersion.Error is { } denied) return OperationOutcomes.From(http, denied);
            ifMatch = checkedVersion.Value;
        }
        var result = await store.PatchAsync(call.Caller.TenantId, type, id, patch, ifMatch, ct);
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        return FhirRequest.WriteResult(http, StatusCodes.Status200OK, result.Value!, call.BaseUrl, location: false);
    }

    /// <summary>The stored version with the patch applied, or null when the patch does not apply (the store then answers why).</summary>
    static ReadOnlyMemory<byte>? Patched(StoredResource current, ReadOnlyMemory<byte> patch)
    {
        var operations = JsonPatch.Parse(patch);
        if (operations.Error is not null) return null;
        var patched = JsonPatch.Apply(System.Text.Json.Nodes.JsonNode.Parse(current.Body)!, operations.Value!);
        return patched.Error is null ? System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(patched.Value) : null;
    }
}
