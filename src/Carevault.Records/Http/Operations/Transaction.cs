using Carevault.Identity.Auditing;
using Carevault.Identity.Tenants;
using Carevault.Records.Bundles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// transaction and batch: <c>POST [base]</c> with a Bundle (FHIR R4 http.html#transaction). Scopes are checked per
/// entry; a transaction that fails at any entry stores nothing and answers that entry's OperationOutcome.
/// </summary>
internal static class Transaction
{
    public static void Map(IEndpointRouteBuilder group) => group.MapPost("", Handle).WithName("FhirTransaction").Audited(AuditAction.Transaction);

    static async Task<IResult> Handle(HttpContext http, BundleProcessor processor, CancellationToken ct)
    {
        if (FhirRequest.FormatError(http) is { } formatError) return formatError;
        var caller = CallerContext.From(http.User);
        if (caller is null) return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
        if (bodyError is not null) return bodyError;
        var result = await processor.ProcessAsync(caller, body, FhirRequest.BaseUrl(http.Request), ct, AuditedReferences.InTransaction(http, StatusCodes.Status200OK),
            AuditedReferences.InBatchEntries(http));
        if (result.Error is { } error) return OperationOutcomes.From(http, error);
        AuditedReferences.FromBundles(http, body, result.Value!);
        return new FhirResult(StatusCodes.Status200OK, result.Value);
    }
}
