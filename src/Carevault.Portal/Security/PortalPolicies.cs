using Carevault.Identity.Authorization;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Authorization;

namespace Carevault.Portal.Security;

/// <summary>
/// Which signed-in people may open which pages. These gate navigation only; what data a page shows is decided by
/// <c>AccessPolicy</c> inside the services the page calls.
/// </summary>
public static class PortalPolicies
{
    public const string SignedIn = "portal:signed-in";
    public const string Patient = "portal:patient";
    public const string Doctor = "portal:doctor";
    public const string Staff = "portal:staff";
    public const string Admin = "portal:admin";
    public const string Auditor = "portal:auditor";

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(SignedIn, policy => Person(policy));
        options.AddPolicy(Patient, policy => Person(policy).RequireRole(Roles.Patient));
        options.AddPolicy(Doctor, policy => Person(policy).RequireRole(Roles.Doctor));
        options.AddPolicy(Staff, policy => Person(policy).RequireRole(Roles.Staff));
        options.AddPolicy(Admin, policy => Person(policy).RequireAssertion(context =>
            CallerContext.From(context.User) is { } caller && AccessPolicy.Administer(caller, caller.TenantId) == Access.Allowed));
        options.AddPolicy(Auditor, policy => Person(policy).RequireAssertion(context => Carevault.Portal.Admin.AuditTrailViewer.MayRead(CallerContext.From(context.User))));
    }

    static AuthorizationPolicyBuilder Person(AuthorizationPolicyBuilder policy) =>
        policy.AddAuthenticationSchemes(PortalAuthenticationHandler.SchemeName).RequireAuthenticatedUser().RequireClaim("kind", "user");

    /// <summary>The page a person lands on after signing in.</summary>
    public static string HomeOf(string? role) => role switch
    {
        Roles.Patient => "/my-record",
        Roles.Doctor => "/today",
        Roles.Staff => "/staff",
        Roles.Admin => "/admin/users",
        Roles.Auditor => "/audit",
        _ => "/profile",
    };
}
