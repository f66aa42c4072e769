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
/// search-compartment: <c>GET [base]/Patient/[id]/[type]?…</c> (FHIR R4 http.html#search, compartmentdefinition.html):
/// a type search confined to the Patient's compartment, with the type's normal search parameters and paging. The
/// caller must be allowed to read <c>Patient/[id]</c> (else 404/403) and to search the type; a caller who is confined to
/// their own compartment stays confined to it.
/// </summary>
internal static class CompartmentSearch
{
    // alpha: "_history", "_search" and "$operation" segments are left to their own routes.
    public static void Map(IEndpointRouteBuilder group) =>
        group.MapGet("/Patient/{id}/{compartmentType:alpha}", Handle).WithName("FhirCompartmentSearch").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Search);

    static async Task<IResult> Handle(HttpContext http, string id, string compartmentType, ResourceStore store, SearchQueryParser parser, FhirSpec spec, FhirAccess access,
        TimeProvider clock, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, compartmentType, ScopePermissions.Search, out var call) is { } rejected) return rejected;
        if (await PatientAccess.CheckReadableAsync(http, store, access, call, id, ct) is { } patientDenied) return patientDenied;
        var strict = string.Equals(FhirRequest.Prefer(http.Request, "handling"), "strict", StringComparison.OrdinalIgnoreCase);
        var parameters = http.Request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();
        AuditedReferences.Query(http, parameters);
        var parsed = parser.Parse(compartmentType, parameters, strict);
        if (parsed.Error is { } error) return OperationOutcomes.From(http, error);
        var query = call.Permit.Confine(parsed.Value!);
        query = query with { PatientCompartments = [id, .. query.PatientCompartments] };
        return await SearchType.RespondAsync(http, call, query, $"{call.BaseUrl}/Patient/{id}/{compartmentType}", store, spec, clock, ct);
    }
}

/// <summary>The compartment's own Patient must be readable by the caller before anything in its compartment is shown.</summary>
internal static class PatientAccess
{
    public static async Task<FhirResult?> CheckReadableAsync(HttpContext http, ResourceStore store, FhirAccess access, FhirCall call, string id, CancellationToken ct)
    {
        if (!ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound("Patient", "(invalid id)"));
        var permit = access.Decide(call.Caller, "Patient", Identity.Authorization.ClinicalAction.Read);
        if (permit.Error is { } denied) return OperationOutcomes.From(http, denied);
        var patient = await store.ReadAsync(call.Caller.TenantId, "Patient", id, ct);
        if (patient.Error is { } error) return OperationOutcomes.From(http, permit.Value!.Hide(error));
        return permit.Value!.Check(patient.Value!) is { } hidden ? OperationOutcomes.From(http, hidden) : null;
    }
}
