using Carevault.Identity.Auditing;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary><c>GET /api/me</c>: what the presented token stands for — a first check for an integrator's setup.</summary>
public static class MeEndpoint
{
    public sealed record CallerDescription(string Tenant, string Subject, string Kind, IReadOnlyList<string> Scopes, string? FhirUser = null);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/me", Get)
            .RequireAuthorization()
            .WithTags("Identity")
            .WithName("Me")
            .NotAudited("describes the caller's own token; no health data, no change")
            .WithSummary("The caller as the token describes it.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

    static Results<Ok<CallerDescription>, UnauthorizedHttpResult> Get(HttpContext http) =>
        CallerContext.From(http.User) is { } caller
            ? TypedResults.Ok(new CallerDescription(caller.TenantId, caller.Subject, caller.Kind, caller.Scopes.Values, caller.FhirUser))
            : TypedResults.Unauthorized();
}
