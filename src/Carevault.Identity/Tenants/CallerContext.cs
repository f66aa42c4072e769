using System.Security.Claims;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tokens;

namespace Carevault.Identity.Tenants;

/// <summary>
/// Who is calling, taken from the validated token alone — never from the route or body: the tenant, the subject
/// (client or user id), what kind of caller it is, and its granted scopes. Handlers receive it explicitly.
/// </summary>
public sealed record CallerContext(string TenantId, string Subject, string Kind, ScopeSet Scopes, string? Role = null)
{
    public static CallerContext? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var tenant = principal.FindFirstValue(CarevaultClaims.Tenant);
        var subject = principal.FindFirstValue("sub");
        var kind = principal.FindFirstValue(CarevaultClaims.Kind);
        if (tenant is null || subject is null || kind is null) return null;
        return ScopeSet.TryParse(principal.FindFirstValue(CarevaultClaims.Scope), out var scopes)
            ? new CallerContext(tenant, subject, kind, scopes, principal.FindFirstValue(CarevaultClaims.Role))
            : null;
    }
}
