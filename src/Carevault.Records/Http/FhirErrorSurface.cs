using Microsoft.AspNetCore.Http;

namespace Carevault.Records.Http;

/// <summary>
/// Lets the server's one error handler answer failures under <c>/fhir</c> as the FHIR API must — an OperationOutcome
/// (FHIR R4 http.html) — while the JSON API keeps problem details. Used for errors raised outside FHIR handlers:
/// unhandled exceptions, body limits, malformed requests.
/// </summary>
public static class FhirErrorSurface
{
    public static bool Handles(HttpContext http) => http.Request.Path.StartsWithSegments("/fhir", StringComparison.OrdinalIgnoreCase);

    public static Task WriteAsync(HttpContext http, int status, string issueCode, string diagnostics) =>
        OperationOutcomes.Create(http, status, issueCode, diagnostics).ExecuteAsync(http);
}
