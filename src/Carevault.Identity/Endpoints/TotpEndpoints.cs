using Carevault.Identity.Auditing;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary><c>/api/auth/totp</c>: a signed-in person enrols an authenticator app as a second factor.</summary>
public static class TotpEndpoints
{
    public sealed record TotpSetupResponse(string Secret, string OtpauthUri);
    public sealed record TotpConfirmRequest(string Code);

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth/totp").WithTags("Sign-in").Audited(AuditAction.SecondFactor);
        group.MapPost("/setup", SetupAsync).RequireAuthorization().WithName("SetUpTotp")
            .WithSummary("Start TOTP enrolment: a new secret (base32) and its otpauth:// URI; pending until confirmed.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/confirm", ConfirmAsync).RequireAuthorization().WithName("ConfirmTotp")
            .WithSummary("Enable the pending TOTP secret with a current code from it; sign-in then requires a code.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesValidationProblem();
    }

    static async Task<Results<Ok<TotpSetupResponse>, ProblemHttpResult>> SetupAsync(SecondFactor factor, HttpContext http, CancellationToken ct)
    {
        if (CallerContext.From(http.User) is not { Kind: "user" } caller)
            return TypedResults.Problem(statusCode: 403, detail: "Only a signed-in person can enrol a second factor.");
        var enrolment = await factor.SetupAsync(caller.TenantId, caller.Subject, http.User.FindFirst("name")?.Value ?? caller.Subject, ct);
        return enrolment is null
            ? TypedResults.Problem(statusCode: 409, detail: "A second factor is already enabled for this account.")
            : TypedResults.Ok(new TotpSetupResponse(enrolment.Secret, enrolment.OtpauthUri));
    }

    static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ConfirmAsync(TotpConfirmRequest request, SecondFactor factor, HttpContext http, CancellationToken ct)
    {
        if (CallerContext.From(http.User) is not { Kind: "user" } caller)
            return TypedResults.Problem(statusCode: 403, detail: "Only a signed-in person can enrol a second factor.");
        return await factor.ConfirmAsync(caller.TenantId, caller.Subject, request.Code ?? "", ct)
            ? TypedResults.NoContent()
            : Invalid.Field("code", "The code does not match a pending enrolment; set up again if it was lost.");
    }
}
