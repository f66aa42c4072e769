using System.Security.Claims;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tokens;

namespace Carevault.Identity.Tenants;

/// <summary>
/// Who is calling, taken from the validated token alone — never from the route or body: the tenant, the subject
/// (client or user id), what kind of caller it is, and its granted scopes. Handlers receive it explicitly.
/// </summary>
/// <param name="FhirUser">The person's FHIR identity (SMART <c>fhirUser</c>): <c>Patient/{id}</c> or <c>Practitioner/{id}</c>; null when unlinked.</param>
public sealed record CallerContext(string TenantId, string Subject, string Kind, ScopeSet Scopes, string? Role = null, string? FhirUser = null)
{
    /// <summary>The linked Patient's id when the caller is a person linked to a Patient, else null.</summary>
    public string? PatientId => FhirUserId("Patient");

    /// <summary>The linked Practitioner's id when the caller is a person linked to a Practitioner, else null.</summary>
    public string? PractitionerId => FhirUserId("Practitioner");

    string? FhirUserId(string type) =>
        Kind == "user" && FhirUser is { } reference && reference.Length > type.Length + 1
        && reference.StartsWith(type, StringComparison.Ordinal) && reference[type.Length] == '/'
            ? reference[(type.Length + 1)..]
            : null;

    public static CallerContext? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var tenant = principal.FindFirstValue(CarevaultClaims.Tenant);
        var subject = principal.FindFirstValue("sub");
        var kind = principal.FindFirstValue(CarevaultClaims.Kind);
        if (tenant is null || subject is null || kind is null) return null;
        return ScopeSet.TryParse(principal.FindFirstValue(CarevaultClaims.Scope), out var scopes)
            ? new CallerContext(tenant, subject, kind, scopes, principal.FindFirstValue(CarevaultClaims.Role), principal.FindFirstValue(CarevaultClaims.FhirUser))
            : null;
    }
}
