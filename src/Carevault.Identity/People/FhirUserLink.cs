using System.Data.Common;

namespace Carevault.Identity.People;

/// <summary>
/// The records a person can be linked to (SMART <c>fhirUser</c>). Implemented by the records module, which references
/// Identity; Identity never references Records (decision 0001), so it reaches the FHIR store only through this.
/// </summary>
public interface IFhirUserRecords
{
    /// <summary>True when <c>{resourceType}/{id}</c> is a current (not deleted) resource of the tenant.</summary>
    Task<bool> ExistsAsync(string tenantId, string resourceType, string id, CancellationToken ct);

    /// <summary>
    /// Creates a minimal Patient for a person registering themselves and, in the same database transaction, runs
    /// <paramref name="insertUser"/> with the new Patient's id: both are stored or neither. Null, with nothing stored,
    /// when <paramref name="insertUser"/> returns false (e.g. the username is taken).
    /// </summary>
    Task<string?> CreatePatientAsync(string tenantId, Func<DbConnection, DbTransaction, string, CancellationToken, Task<bool>> insertUser, CancellationToken ct);
}

/// <summary>
/// Which FHIR resource a person may be linked to, by role: a patient to a <c>Patient</c>, a doctor to a
/// <c>Practitioner</c>; staff, auditors and administrators to none. The access policy reads the link: a patient's
/// compartment, the entries a doctor authored.
/// </summary>
public static class FhirUserLink
{
    /// <summary>The resource type a person of <paramref name="role"/> is linked to, or null when the role takes no link.</summary>
    public static string? TypeFor(string role) => role switch
    {
        Roles.Patient => "Patient",
        Roles.Doctor => "Practitioner",
        _ => null,
    };

    /// <summary>Null when <paramref name="fhirUser"/> (possibly absent) suits the role; else the reason, safe to show.</summary>
    public static string? Check(string role, string? fhirUser, out string? resourceType, out string? id)
    {
        resourceType = null;
        id = null;
        if (fhirUser is null) return null;
        var expected = TypeFor(role);
        if (expected is null) return $"Only patients (Patient/{{id}}) and doctors (Practitioner/{{id}}) are linked to a FHIR resource.";
        var slash = fhirUser.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || fhirUser[..slash] != expected || !IsFhirId(fhirUser.AsSpan(slash + 1)))
            return $"A {role} is linked to a {expected}: give '{expected}/{{id}}'.";
        resourceType = expected;
        id = fhirUser[(slash + 1)..];
        return null;
    }

    // FHIR R4 datatypes.html#id: [A-Za-z0-9\-\.]{1,64}
    static bool IsFhirId(ReadOnlySpan<char> value)
    {
        if (value.Length is 0 or > 64) return false;
        foreach (var c in value)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')) return false;
        return true;
    }
}
