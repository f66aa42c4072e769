using Carevault.Identity.Auditing;
using Carevault.Identity.People;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary><c>/api/auth/password-reset</c>: ask for a reset link by email, then redeem it with a new password.</summary>
public static class PasswordResetEndpoints
{
    public sealed record ResetRequest(string Tenant, string Username);
    public sealed record ResetRequested(string Message);
    public sealed record ResetConfirmation(string Token, string NewPassword);

    /// <summary>The one answer to every well-formed request, whether or not the account exists.</summary>
    static readonly ResetRequested Requested = new("If the account exists and has an email address, a reset link is on its way.");

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth/password-reset").WithTags("Sign-in");
        group.MapPost("", RequestAsync).AllowAnonymous().WithName("RequestPasswordReset").Audited(AuditAction.PasswordReset)
            .WithSummary("Email a single-use reset link to the user, if they exist; the answer is the same either way.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapPost("/confirm", ConfirmAsync).AllowAnonymous().WithName("ConfirmPasswordReset").Audited(AuditAction.PasswordReset)
            .WithSummary("Set a new password with a reset token; ends every session of the user.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesValidationProblem();
    }

    static async Task<Results<Accepted<ResetRequested>, ProblemHttpResult>> RequestAsync(ResetRequest request, PasswordReset reset, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Tenant) || string.IsNullOrEmpty(request.Username) || request.Tenant.Length > 100 || request.Username.Length > 200)
            return TypedResults.Problem(statusCode: 400, detail: "tenant and username are required.");
        await reset.RequestAsync(request.Tenant, request.Username, ct);
        return TypedResults.Accepted((string?)null, Requested);
    }

    static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ConfirmAsync(ResetConfirmation request, PasswordReset reset, CancellationToken ct)
    {
        var (outcome, problem) = await reset.ConfirmAsync(request.Token ?? "", request.NewPassword ?? "", ct);
        return outcome switch
        {
            PasswordResetOutcome.Done => TypedResults.NoContent(),
            PasswordResetOutcome.WeakPassword => Invalid.Field("newPassword", problem!),
            _ => TypedResults.Problem(statusCode: 400, detail: "The reset link is not valid: it may have expired or been used already. Ask for a new one."),
        };
    }
}
