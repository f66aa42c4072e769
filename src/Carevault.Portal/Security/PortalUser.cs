using System.Security.Claims;
using Carevault.Identity.Tenants;
using Carevault.Identity.Tokens;

namespace Carevault.Portal.Security;

/// <summary>The signed-in person as pages show them: from the session's claims only.</summary>
public sealed record PortalUser(string TenantId, string UserId, string Username, string Role)
{
    public static PortalUser? From(ClaimsPrincipal principal) =>
        CallerContext.From(principal) is { Kind: "user" } caller
            ? new PortalUser(caller.TenantId, caller.Subject, principal.FindFirstValue("name") ?? "", caller.Role ?? "")
            : null;
}
