using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// Any other request under /fhir: 405 with Allow when the path is a known interaction's (FHIR R4 http.html), else
/// 404 — as OperationOutcomes, not the JSON API's problem details.
/// </summary>
internal static class Unmatched
{
    public static void Map(IEndpointRouteBuilder group) => group.MapFallback("/{**path}", Handle).AllowAnonymous().NotAudited("answers 404/405 without reading or writing anything");

    static FhirResult Handle(HttpContext http, FhirSpec spec)
    {
        var path = (string?)http.GetRouteValue("path") ?? "";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string? allow = segments switch
        {
            [] => "POST",
            ["metadata"] => "GET",
            ["_history"] => "GET",
            [var t] when FhirRequest.IsSupportedType(spec, t) => "GET, POST, PUT, DELETE",
            [var t, "_search"] when FhirRequest.IsSupportedType(spec, t) => "POST",
            [var t, "_history"] when FhirRequest.IsSupportedType(spec, t) => "GET",
            [var t, _] when FhirRequest.IsSupportedType(spec, t) => "GET, PUT, PATCH, DELETE",
            [var t, _, "_history"] when FhirRequest.IsSupportedType(spec, t) => "GET",
            ["Patient", _, _] => "GET",
            [var t, _, "_history", _] when FhirRequest.IsSupportedType(spec, t) => "GET",
            _ => null,
        };
        if (allow is null)
            return OperationOutcomes.Create(http, StatusCodes.Status404NotFound, "not-found", "No FHIR interaction at this URL on this server.");
        return OperationOutcomes.Create(http, StatusCodes.Status405MethodNotAllowed, "not-supported", $"Allowed here: {allow}.",
            headers: new Dictionary<string, string> { ["Allow"] = allow });
    }
}
