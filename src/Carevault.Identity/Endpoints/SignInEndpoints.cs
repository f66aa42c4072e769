using Carevault.Identity.Auditing;
using Carevault.Identity.Authentication;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary><c>/api/auth</c>: people sign in, sign out and change their password.</summary>
public static class SignInEndpoints
{
    /// <param name="Totp">The current code of the user's authenticator app, required once a second factor is enabled.</param>
    public sealed record SignInRequest(string Tenant, string Username, string Password, string? Totp = null);
    public sealed record SignInResponse(string Tenant, string UserId, string Username, string Role, DateTimeOffset ExpiresAt);
    public sealed record ChangePasswordRequest(string CurrentPassword, string NewPassword);

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Sign-in");
        group.MapPost("/login", SignInAsync).AllowAnonymous().WithName("SignIn").Audited(AuditAction.Login)
            .WithSummary("Sign in with tenant, username and password; sets the session cookie.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/logout", SignOutAsync).RequireAuthorization().WithName("SignOut").Audited(AuditAction.Logout)
            .WithSummary("End the current session.").ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/password", ChangePasswordAsync).RequireAuthorization().WithName("ChangePassword").Audited(AuditAction.PasswordChange)
            .WithSummary("Change the signed-in user's password; ends their other sessions.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesValidationProblem();
    }

    static async Task<Results<Ok<SignInResponse>, ProblemHttpResult>> SignInAsync(SignInRequest request, SignInService signIn, TenantStore tenants, HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Tenant) || string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password)
            || request.Tenant.Length > 100 || request.Username.Length > 200 || request.Password.Length > PasswordPolicy.MaximumLength || request.Totp?.Length > 16)
            return TypedResults.Problem(statusCode: 400, detail: "tenant, username and password are required.");
        var (session, failure) = await signIn.AttemptAsync(request.Tenant, request.Username, request.Password, request.Totp, ct);
        if (session is null)
        {
            // The trail names the tenant only when it exists, so made-up names cannot open chains; else the operators' chain.
            var tenant = await tenants.FindAsync(request.Tenant, ct) is null ? null : request.Tenant;
            if (AuditNotes.Of(http) is { } notes)
            {
                notes.Actor = new AuditActor(tenant, request.Username, "anonymous");
                notes.Detail = failure + (tenant is null ? " (tenant: " + request.Tenant + ")" : "");
            }
            return TypedResults.Problem(statusCode: 401, detail: "The sign-in details are not valid, or the account is temporarily locked.");
        }
        AuditNotes.Of(http)?.Actor = new AuditActor(session.User.TenantId, session.User.UserId, "user", session.User.Role);
        SessionAuthenticationHandler.WriteCookie(http, session.Token, session.ExpiresAt);
        var user = session.User;
        return TypedResults.Ok(new SignInResponse(user.TenantId, user.UserId, user.Username, user.Role, session.ExpiresAt));
    }

    static async Task<NoContent> SignOutAsync(SignInService signIn, HttpContext http, CancellationToken ct)
    {
        if (http.Request.Cookies.TryGetValue(SessionAuthenticationHandler.CookieName, out var token)) await signIn.SignOutAsync(token, ct);
        SessionAuthenticationHandler.DeleteCookie(http);
        return TypedResults.NoContent();
    }

    static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePasswordAsync(ChangePasswordRequest request, SignInService signIn, HttpContext http, CancellationToken ct)
    {
        if (CallerContext.From(http.User) is not { Kind: "user" } caller || !http.Request.Cookies.TryGetValue(SessionAuthenticationHandler.CookieName, out var token))
            return TypedResults.Problem(statusCode: 403, detail: "Only a signed-in person can change a password.");
        var user = new SignedInUser(caller.TenantId, caller.Subject, http.User.FindFirst("name")?.Value ?? "", http.User.FindFirst("role")?.Value ?? "");
        var problem = await signIn.ChangePasswordAsync(user, request.CurrentPassword ?? "", request.NewPassword ?? "", token, ct);
        return problem is null
            ? TypedResults.NoContent()
            : Invalid.Field("newPassword", problem);
    }
}
