using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Clients;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>/api/admin</c>: administrators manage their own tenant's hospital systems and people; the operators' administrators
/// create tenants. The tenant is always the caller's: another tenant's client or user is simply not found.
/// </summary>
public static class AdminEndpoints
{
    public sealed record CreateTenantRequest(string Id, string Name);
    public sealed record TenantResponse(string Id, string Name);
    public sealed record CreateClientRequest(string Name, string Scopes, int? TokenMinutes, string? Jwks = null);
    public sealed record ClientResponse(string ClientId, string Name, string Scopes, int TokenMinutes, bool Active);
    public sealed record ClientSecretResponse(string ClientId, string? ClientSecret, string Scopes);
    public sealed record TenantSettings(bool AllowPatientRegistration);
    public sealed record CreateUserRequest(string Username, string Password, string Role, string? FhirUser = null);
    public sealed record CreateAppRequest(string Name, string Scopes, IReadOnlyList<string> RedirectUris, bool Public);
    public sealed record InviteRequest(string Username, string Email, string Role, string? FhirUser = null);
    public sealed record UserResponse(string UserId, string Username, string Role, string Status, string? FhirUser = null);
    public sealed record FhirUserRequest(string? FhirUser);

    public static void Map(IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization().WithTags("Administration").Audited(AuditAction.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPost("/tenants", CreateTenantAsync).WithName("CreateTenant").WithSummary("Create a tenant (operators only).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/settings", GetSettingsAsync).WithName("GetTenantSettings").WithSummary("The caller's tenant settings.");
        admin.MapPut("/settings", PutSettingsAsync).WithName("PutTenantSettings").WithSummary("Change the caller's tenant settings.");
        admin.MapGet("/clients", ListClientsAsync).WithName("ListClients").WithSummary("The tenant's hospital systems and their scopes.");
        admin.MapPost("/clients", CreateClientAsync).WithName("CreateClient").WithSummary("Register a hospital system; the secret is in this response only.")
            .ProducesValidationProblem();
        admin.MapPost("/apps", CreateAppAsync).WithName("CreateApp")
            .WithSummary("Register an app that acts for signed-in people (SMART App Launch): exact redirect URIs; public apps get no secret.")
            .ProducesValidationProblem();
        admin.MapPost("/clients/{clientId}/rotate-secret", RotateSecretAsync).WithName("RotateClientSecret").Audited(AuditAction.KeyRotation)
            .WithSummary("Replace a client's secret; the old one stops working at once.").ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/clients/{clientId}/revoke", RevokeClientAsync).WithName("RevokeClient")
            .WithSummary("Revoke a client: it gets no more tokens.").ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/users", CreateUserAsync).WithName("CreateUser").WithSummary("Create a person's account with an initial password.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/invitations", InviteAsync).WithName("InviteUser")
            .WithSummary("Invite a person (staff, doctor, auditor, admin, patient): an emailed single-use link lets them set a password.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPut("/users/{userId}/fhir-user", SetFhirUserAsync).WithName("SetUserFhirUser")
            .WithSummary("Link a person to their FHIR resource (Patient/{id} for a patient, Practitioner/{id} for a doctor), or unlink with null.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/users/{userId}/disable", (string userId, HttpContext http, UserStore users, CancellationToken ct) => SetActiveAsync(userId, false, http, users, ct))
            .WithName("DisableUser").WithSummary("Disable a user; their sessions end.").ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/users/{userId}/enable", (string userId, HttpContext http, UserStore users, CancellationToken ct) => SetActiveAsync(userId, true, http, users, ct))
            .WithName("EnableUser").WithSummary("Re-enable a user.").ProducesProblem(StatusCodes.Status404NotFound);
    }

    static async Task<Results<Created<TenantResponse>, ValidationProblem, ProblemHttpResult>> CreateTenantAsync(CreateTenantRequest request, HttpContext http, TenantStore tenants, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.OperatePlatform(c)) is { } denied) return denied;
        try
        {
            var tenant = await tenants.CreateAsync(request.Id ?? "", request.Name ?? "", ct);
            return tenant is null
                ? TypedResults.Problem(statusCode: 409, detail: "A tenant with this id exists.")
                : TypedResults.Created($"/api/admin/tenants/{tenant.Id}", new TenantResponse(tenant.Id, tenant.Name));
        }
        catch (ArgumentException e)
        {
            return Invalid.From(e);
        }
    }

    static async Task<Results<Ok<TenantSettings>, ProblemHttpResult>> GetSettingsAsync(HttpContext http, TenantStore tenants, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        return TypedResults.Ok(new TenantSettings(await tenants.AllowsPatientRegistrationAsync(Caller(http).TenantId, ct)));
    }

    static async Task<Results<Ok<TenantSettings>, ProblemHttpResult>> PutSettingsAsync(TenantSettings settings, HttpContext http, TenantStore tenants, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        await tenants.SetPatientRegistrationAsync(Caller(http).TenantId, settings.AllowPatientRegistration, ct);
        return TypedResults.Ok(settings);
    }

    static async Task<Results<Ok<List<ClientResponse>>, ProblemHttpResult>> ListClientsAsync(HttpContext http, ClientStore clients, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        var list = await clients.ListAsync(Caller(http).TenantId, ct);
        return TypedResults.Ok(list.Select(c => new ClientResponse(c.Id, c.Name, c.Scopes.ToString(), (int)c.TokenLifetime.TotalMinutes, c.Active)).ToList());
    }

    static async Task<Results<Created<ClientSecretResponse>, ValidationProblem, ProblemHttpResult>> CreateClientAsync(CreateClientRequest request, HttpContext http, ClientStore clients, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
            return Invalid.Field("name", "A name of 1-200 characters is required.");
        if (!ScopeSet.TryParse(request.Scopes, out var scopes) || scopes.Clinical.Count == 0 || scopes.Clinical.Any(s => s.Context != ScopeContext.System))
            return Invalid.Field("scopes", "Give system/ scopes in SMART syntax, e.g. 'system/Observation.cruds'.");
        var lifetime = request.TokenMinutes is { } m ? TimeSpan.FromMinutes(m) : (TimeSpan?)null;
        try
        {
            http.Response.Headers.CacheControl = "no-store";
            if (request.Jwks is { Length: > 0 } jwks)
            {
                // private_key_jwt: the client proves itself with assertions signed by these keys; it gets no secret.
                var keyClient = await clients.CreateWithKeysAsync(Caller(http).TenantId, request.Name, scopes, lifetime, jwks, ct);
                return TypedResults.Created($"/api/admin/clients/{keyClient.Id}", new ClientSecretResponse(keyClient.Id, null, keyClient.Scopes.ToString()));
            }
            var issued = await clients.CreateAsync(Caller(http).TenantId, request.Name, scopes, lifetime, ct);
            return TypedResults.Created($"/api/admin/clients/{issued.Client.Id}", new ClientSecretResponse(issued.Client.Id, issued.Secret, issued.Client.Scopes.ToString()));
        }
        catch (ArgumentException e)
        {
            return Invalid.From(e);
        }
    }

    static async Task<Results<Created<ClientSecretResponse>, ValidationProblem, ProblemHttpResult>> CreateAppAsync(CreateAppRequest request, HttpContext http, ClientStore clients, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
            return Invalid.Field("name", "A name of 1-200 characters is required.");
        if (!ScopeSet.TryParse(request.Scopes, out var scopes) || scopes.Clinical.Count == 0 || scopes.Clinical.Any(s => s.Context == ScopeContext.System))
            return Invalid.Field("scopes", "Give patient/ or user/ scopes in SMART syntax, e.g. 'patient/*.rs openid fhirUser'.");
        try
        {
            var (client, secret) = await clients.CreateAppAsync(Caller(http).TenantId, request.Name, scopes, request.RedirectUris ?? [], request.Public, ct);
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Created($"/api/admin/clients/{client.Id}", new ClientSecretResponse(client.Id, secret, client.Scopes.ToString()));
        }
        catch (ArgumentException e)
        {
            return Invalid.From(e);
        }
    }

    static async Task<Results<Ok<ClientSecretResponse>, ProblemHttpResult>> RotateSecretAsync(string clientId, HttpContext http, ClientStore clients, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        var issued = await clients.RotateSecretAsync(Caller(http).TenantId, clientId, ct);
        http.Response.Headers.CacheControl = "no-store";
        return issued is null ? NotFound() : TypedResults.Ok(new ClientSecretResponse(issued.Client.Id, issued.Secret, issued.Client.Scopes.ToString()));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> RevokeClientAsync(string clientId, HttpContext http, ClientStore clients, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        return await clients.RevokeAsync(Caller(http).TenantId, clientId, ct) ? TypedResults.NoContent() : NotFound();
    }

    static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> CreateUserAsync(CreateUserRequest request, HttpContext http, UserStore users,
        [FromServices] IFhirUserRecords? records, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        try
        {
            if (await LinkProblemAsync(Caller(http).TenantId, request.Role ?? "", request.FhirUser, records, ct) is { } linkProblem) return linkProblem;
            var user = await users.CreateAsync(Caller(http).TenantId, request.Username ?? "", request.Password ?? "", request.Role ?? "", email: null, request.FhirUser, ct);
            return user is null
                ? TypedResults.Problem(statusCode: 409, detail: "This username is taken in the tenant.")
                : TypedResults.Created($"/api/admin/users/{user.Id}", new UserResponse(user.Id, user.Username, user.Role, user.Status, user.FhirUser));
        }
        catch (ArgumentException e)
        {
            return Invalid.From(e);
        }
    }

    static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> InviteAsync(InviteRequest request, HttpContext http, Invitations invitations,
        [FromServices] IFhirUserRecords? records, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        try
        {
            if (await LinkProblemAsync(Caller(http).TenantId, request.Role ?? "", request.FhirUser, records, ct) is { } linkProblem) return linkProblem;
            var user = await invitations.InviteAsync(Caller(http).TenantId, request.Username ?? "", request.Email ?? "", request.Role ?? "", request.FhirUser, ct);
            return user is null
                ? TypedResults.Problem(statusCode: 409, detail: "This username is taken in the tenant.")
                : TypedResults.Created($"/api/admin/users/{user.Id}", new UserResponse(user.Id, user.Username, user.Role, user.Status, user.FhirUser));
        }
        catch (ArgumentException e)
        {
            return Invalid.From(e);
        }
    }

    static async Task<Results<NoContent, ProblemHttpResult>> SetActiveAsync(string userId, bool active, HttpContext http, UserStore users, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        if (!active && userId == Caller(http).Subject) return TypedResults.Problem(statusCode: 409, detail: "Administrators cannot disable themselves.");
        return await users.SetActiveAsync(Caller(http).TenantId, userId, active, ct) ? TypedResults.NoContent() : NotFound();
    }

    static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetFhirUserAsync(string userId, FhirUserRequest request, HttpContext http, UserStore users,
        [FromServices] IFhirUserRecords? records, CancellationToken ct)
    {
        if (Deny(http, c => AccessPolicy.Administer(c, c.TenantId)) is { } denied) return denied;
        var tenantId = Caller(http).TenantId;
        if (await users.FindRoleAsync(tenantId, userId, ct) is not { } role) return NotFound();
        if (await LinkProblemAsync(tenantId, role, request.FhirUser, records, ct) is { } linkProblem) return linkProblem;
        return await users.SetFhirUserAsync(tenantId, userId, request.FhirUser, ct) ? TypedResults.NoContent() : NotFound();
    }

    /// <summary>The link must suit the role and name a current resource of the caller's tenant.</summary>
    static async Task<ValidationProblem?> LinkProblemAsync(string tenantId, string role, string? fhirUser, IFhirUserRecords? records, CancellationToken ct)
    {
        if (fhirUser is null || !Roles.All.Contains(role)) return null; // an unknown role is reported by the store
        if (FhirUserLink.Check(role, fhirUser, out var type, out var id) is { } problem) return Invalid.Field("fhirUser", problem);
        if (records is null || !await records.ExistsAsync(tenantId, type!, id!, ct))
            return Invalid.Field("fhirUser", $"No {type} with this id exists in the tenant; create it first.");
        return null;
    }

    static CallerContext Caller(HttpContext http) => CallerContext.From(http.User)!;

    static ProblemHttpResult? Deny(HttpContext http, Func<CallerContext, Access> rule)
    {
        if (CallerContext.From(http.User) is not { } caller) return TypedResults.Problem(statusCode: 401);
        return rule(caller) switch
        {
            Access.Allowed => null,
            Access.NotFound => NotFound(),
            _ => TypedResults.Problem(statusCode: 403),
        };
    }

    static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: 404);
}
