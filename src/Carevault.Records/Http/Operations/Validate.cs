using System.Text.Json;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// $validate (FHIR R4 resource-operation-validate): <c>POST [base]/[type]/$validate</c> and
/// <c>POST [base]/[type]/[id]/$validate</c> with the resource as the body (or a Parameters with a <c>resource</c>
/// part). Nothing is stored. 200 with an OperationOutcome when validation ran — its issues say whether the resource is
/// valid (FHIR R4: the status tells whether validation was performed, not the result); 400 when the body is not a
/// resource at all. At instance level the body's id must be the URL's and the resource must exist (as an update would).
/// Needs read on the type: validating stores nothing.
/// </summary>
internal static class Validate
{
    public static void Map(IEndpointRouteBuilder group)
    {
        group.MapPost("/{type}/$validate", (HttpContext http, string type, ResourceValidation validation, ResourceStore store, FhirSpec spec, CancellationToken ct) =>
            Handle(http, type, null, validation, store, spec, ct)).WithName("FhirValidateType").Audited(AuditAction.Read);
        group.MapPost("/{type}/{id}/$validate", (HttpContext http, string type, string id, ResourceValidation validation, ResourceStore store, FhirSpec spec, CancellationToken ct) =>
            Handle(http, type, id, validation, store, spec, ct)).WithName("FhirValidateInstance").Audited(AuditAction.Read);
    }

    static async Task<IResult> Handle(HttpContext http, string type, string? id, ResourceValidation validation, ResourceStore store, FhirSpec spec, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, type, ScopePermissions.Read, out var call) is { } rejected) return rejected;
        if (id is not null && !ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound(type, "(invalid id)"));
        var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
        if (bodyError is not null) return bodyError;
        body = Unwrap(body);

        var parsed = validation.Parse(type, body);
        if (parsed.Error is { Kind: RecordErrorKind.Unprocessable } invalid)
            return new FhirResult(StatusCodes.Status200OK, OperationOutcomes.Write(http.TraceIdentifier, "error", invalid.Code, invalid.Message, invalid.Issues));
        if (parsed.Error is { } error)
        {
            // Parsed as JSON but structurally wrong (unknown elements, wrong shapes) is still a validation result;
            // unreadable (fatal: not JSON, no resourceType) means validation could not be performed.
            return error.Issues is { Count: > 0 } issues && !issues.Any(i => i.Severity == Carevault.Fhir.Validation.IssueSeverity.Fatal)
                ? new FhirResult(StatusCodes.Status200OK, OperationOutcomes.Write(http.TraceIdentifier, "error", error.Code, error.Message, error.Issues))
                : OperationOutcomes.From(http, error);
        }
        using var document = parsed.Value!;
        if (id is not null)
        {
            if (!document.RootElement.TryGetProperty("id", out var bodyId) || bodyId.ValueKind != JsonValueKind.String || !bodyId.ValueEquals(id))
                return new FhirResult(StatusCodes.Status200OK, OperationOutcomes.Write(http.TraceIdentifier, "error", "invalid", "The body's id must equal the id in the URL.", null));
            var current = await store.ReadAsync(call.Caller.TenantId, type, id, ct);
            if (current.Error is { Kind: RecordErrorKind.NotFound } notFound) return OperationOutcomes.From(http, notFound);
        }
        return new FhirResult(StatusCodes.Status200OK, OperationOutcomes.Write(http.TraceIdentifier, "information", "informational", "The resource is valid FHIR R4.", null));
    }

    /// <summary>A Parameters body carries the resource in its <c>resource</c> part (FHIR R4 operation parameters).</summary>
    static ReadOnlyMemory<byte> Unwrap(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(Carevault.Fhir.FhirJson.SkipUtf8Bom(body), new JsonDocumentOptions { MaxDepth = 66 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var rt) || !rt.ValueEquals("Parameters")
                || !root.TryGetProperty("parameter", out var parameters) || parameters.ValueKind != JsonValueKind.Array)
                return body;
            foreach (var parameter in parameters.EnumerateArray())
                if (parameter.ValueKind == JsonValueKind.Object && parameter.TryGetProperty("name", out var name) && name.ValueEquals("resource") && parameter.TryGetProperty("resource", out var resource))
                    return JsonSerializer.SerializeToUtf8Bytes(resource);
            return body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
