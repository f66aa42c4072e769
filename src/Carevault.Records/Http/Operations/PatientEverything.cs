using System.Globalization;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Records.Access;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// <c>GET [base]/Patient/[id]/$everything</c> (FHIR R4 patient-operation-everything.html): a searchset Bundle of the
/// Patient and every resource in its compartment, in id order, paged with <c>_count</c> and next links; <c>_type</c>
/// narrows the types. The Patient is there when the caller may read it (which the operation requires), the other
/// types when the caller may search them (a <c>patient/Patient.r patient/Observation.rs</c> token gets the Patient and
/// its Observations). Not yet: <c>start</c>, <c>end</c>, <c>_since</c>, and the resources the compartment references
/// (Practitioner, Medication, …) — parameters other than these answer 400.
/// </summary>
internal static class PatientEverything
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/Patient/{id}/$everything", Handle).WithName("FhirPatientEverything").WithMetadata(ChecksEachTarget.Instance).Audited(AuditAction.Search);

    static async Task<IResult> Handle(HttpContext http, string id, ResourceStore store, FhirSpec spec, FhirAccess access, TimeProvider clock, CancellationToken ct)
    {
        if (FhirRequest.Check(http, spec, "Patient", ScopePermissions.Read, out var call) is { } rejected) return rejected;
        if (await PatientAccess.CheckReadableAsync(http, store, access, call, id, ct) is { } patientDenied) return patientDenied;

        var count = SearchQueryParser.DefaultCount;
        string? after = null;
        HashSet<string>? only = null;
        foreach (var (name, values) in http.Request.Query)
        {
            var value = values.ToString();
            switch (name)
            {
                case "_count":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > SearchQueryParser.MaxCount)
                        return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", $"_count must be a whole number from 0 to {SearchQueryParser.MaxCount}.");
                    break;
                case SearchQueryParser.CursorParameter:
                    if (!ResourceIds.IsValid(value)) return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "The paging cursor is not valid.");
                    after = value;
                    break;
                case "_type":
                    only = new HashSet<string>(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
                    if (only.Any(t => !FhirRequest.IsSupportedType(spec, t)))
                        return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "not-supported", "_type names a resource type this server does not store.");
                    break;
                case "_format" or "_pretty":
                    break;
                default:
                    return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "not-supported", "$everything supports _count and _type.");
            }
        }

        var types = new List<string>();
        foreach (var type in PatientCompartment.ResourceTypes)
        {
            if (only is not null && !only.Contains(type)) continue;
            // A caller confined to another compartment than this one sees none of this type here (never more than both allow).
            if (access.Decide(call.Caller, type, ClinicalAction.Search) is { IsSuccess: true, Value: var permit } && (permit!.CompartmentOf is null || permit.CompartmentOf == id))
                types.Add(type);
        }
        var page = await store.EverythingAsync(call.Caller.TenantId, id, types, includeSelf: only is null || only.Contains("Patient"), after, count, total: true, ct);
        AuditedReferences.Add(http, page.Resources);

        var echo = new List<KeyValuePair<string, string>> { new("_count", count.ToString(CultureInfo.InvariantCulture)) };
        if (only is not null) echo.Add(new("_type", string.Join(',', only.Order(StringComparer.Ordinal))));
        var path = $"{call.BaseUrl}/Patient/{id}/$everything";
        var links = new List<BundleWriter.Link> { new("self", path + BundleWriter.Query(after is null ? echo : [.. echo, new(SearchQueryParser.CursorParameter, after)])) };
        if (page.NextAfter is not null) links.Add(new("next", path + BundleWriter.Query([.. echo, new(SearchQueryParser.CursorParameter, page.NextAfter)])));
        return new FhirResult(StatusCodes.Status200OK, BundleWriter.SearchSet(call.BaseUrl, page.Resources, page.Total, links, null, clock.GetUtcNow()));
    }
}
