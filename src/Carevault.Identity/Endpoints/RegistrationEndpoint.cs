using Carevault.Identity.Auditing;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>POST /api/auth/register</c>: a patient creates their own account where the tenant allows it (an unknown tenant and
/// a closed one answer alike), and with it their own Patient resource, in one transaction, linked as their
/// <c>fhirUser</c> so their compartment is theirs from the first sign-in. <c>POST /api/auth/invitation/accept</c>: an
/// invited person sets their first password.
/// </summary>
public static class RegistrationEndpoint
{
    public sealed record RegisterRequest(string Tenant, string Username, string Password, string? Email);
    public sealed record RegisterResponse(string UserId, string Username, string Role, string? FhirUser = null);

    public sealed record AcceptInvitationRequest(string Token, string Password);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/invitation/accept", AcceptAsync)
            .AllowAnonymous()
            .WithTags("Sign-in")
            .WithName("AcceptInvitation")
            .Audited(AuditAction.Registration)
            .WithSummary("Activate an invited account by choosing its password.")
            .ProducesValidationProblem();
        app.MapPost("/api/auth/register", RegisterAsync)
            .AllowAnonymous()
            .WithTags("Sign-in")
            .WithName("Register")
            .Audited(AuditAction.Registration)
            .WithSummary("Create a patient account, where the tenant allows self-registration.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    static async Task<Results<NoContent, ValidationProblem>> AcceptAsync(AcceptInvitationRequest request, Invitations invitations, CancellationToken ct)
    {
        var problem = await invitations.AcceptAsync(request.Token ?? "", request.Password ?? "", ct);
        return problem is null
            ? TypedResults.NoContent()
            : Invalid.Field("password", problem);
    }

    static async Task<Results<Created<RegisterResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, TenantStore tenants, UserStore users, [FromServices] IFhirUserRecords? records, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Tenant) || request.Tenant.Length > 100 || !await tenants.AllowsPatientRegistrationAsync(request.Tenant, ct))
            return TypedResults.Problem(statusCode: 403, detail: "Self-registration is not open here; ask the hospital for an account.");
        try
        {
            var password = request.Password ?? "";
            var user = UserStore.NewUser(request.Tenant, request.Username ?? "", password, Roles.Patient, request.Email, fhirUser: null);
            User? created = null;
            if (records is null)
            {
                created = await users.CreateAsync(user.TenantId, user.Username, password, user.Role, user.Email, ct);
            }
            else
            {
                var passwordHash = SignInService.HashPassword(password);
                await records.CreatePatientAsync(user.TenantId, async (connection, transaction, patientId, token) =>
                {
                    var linked = user with { FhirUser = "Patient/" + patientId };
                    if (!await users.InsertAsync(connection, transaction, linked, passwordHash, token)) return false;
                    created = linked;
                    return true;
                }, ct);
            }
            return created is null
                ? TypedResults.Problem(statusCode: 409, detail: "This username is taken.")
                : TypedResults.Created($"/api/me", new RegisterResponse(created.Id, created.Username, created.Role, created.FhirUser));
        }
        catch (ArgumentException e)
        {
            return Invalid.From(e);
        }
    }
}
