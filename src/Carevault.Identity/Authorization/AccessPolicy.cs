using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;

namespace Carevault.Identity.Authorization;

/// <summary>What a caller wants to do with clinical data (the FHIR interactions SMART scopes name).</summary>
public enum ClinicalAction { Read, Search, Create, Update, Delete }

/// <summary>The one mapping between clinical actions and the SMART permission letters (c, r, u, d, s) that grant them.</summary>
public static class ClinicalActions
{
    public static ScopePermissions ToPermission(this ClinicalAction action) => action switch
    {
        ClinicalAction.Read => ScopePermissions.Read,
        ClinicalAction.Search => ScopePermissions.Search,
        ClinicalAction.Create => ScopePermissions.Create,
        ClinicalAction.Update => ScopePermissions.Update,
        _ => ScopePermissions.Delete,
    };

    /// <summary>The action one permission letter stands for (one interaction at a time).</summary>
    public static ClinicalAction FromPermission(ScopePermissions permission) => permission switch
    {
        ScopePermissions.Read => ClinicalAction.Read,
        ScopePermissions.Search => ClinicalAction.Search,
        ScopePermissions.Create => ClinicalAction.Create,
        ScopePermissions.Update => ClinicalAction.Update,
        ScopePermissions.Delete => ClinicalAction.Delete,
        _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, "One interaction at a time."),
    };
}

/// <summary>How the target relates to the caller; the record store works this out, the policy only reads it.</summary>
public sealed record Ownership
{
    /// <summary>The resource is in the patient compartment of the calling patient user.</summary>
    public bool InCallersCompartment { get; init; }

    /// <summary>The calling doctor authored the resource (its recorder/author/requester is their Practitioner).</summary>
    public bool AuthoredByCaller { get; init; }

    public static readonly Ownership None = new();
}

/// <summary>What a caller wants to do with report files and their ingestion jobs (the ingestion module's API).</summary>
public enum ReportAction { Submit, Read, Search }

/// <summary>The answer. A denial says how to answer it: 404 hides that the data exists, 403 does not.</summary>
public enum Access { Allowed, NotFound, Forbidden }

/// <summary>
/// Every authorization rule of Carevault, in one place, tested as a matrix (role × action × ownership × tenant):
/// - another tenant's data does not exist for the caller (404);
/// - a hospital system may do what its SMART <c>system/</c> scopes say, within its tenant;
/// - a patient reads and searches their own compartment only, and writes no clinical data;
/// - a doctor reads and searches the tenant's records, creates entries, and updates or deletes only entries they authored;
/// - staff read demographics and scheduling and manage appointments and blood requests, not clinical entries;
/// - an auditor reads the audit trail and nothing clinical; an administrator manages people and systems, not records.
/// </summary>
public static class AccessPolicy
{
    static readonly HashSet<string> StaffReadable = ["Patient", "Practitioner", "PractitionerRole", "Organization", "Appointment", "Schedule", "Slot", "CommunicationRequest", "Communication"];
    static readonly HashSet<string> StaffWritable = ["Appointment", "Schedule", "Slot", "CommunicationRequest", "Communication"];

    public static Access Clinical(CallerContext caller, string dataTenantId, string resourceType, ClinicalAction action, Ownership ownership)
    {
        if (!string.Equals(caller.TenantId, dataTenantId, StringComparison.Ordinal)) return Access.NotFound;
        if (caller.Kind == "client")
            return caller.Scopes.Allows(ScopeContext.System, resourceType, action.ToPermission()) ? Access.Allowed : Access.Forbidden;

        var reading = action is ClinicalAction.Read or ClinicalAction.Search;
        return caller.Role switch
        {
            Roles.Patient when reading => ownership.InCallersCompartment ? Access.Allowed : Access.NotFound,
            Roles.Patient => Access.Forbidden,
            Roles.Doctor when resourceType == "AuditEvent" => Access.Forbidden,
            Roles.Doctor when reading || action == ClinicalAction.Create => Access.Allowed,
            Roles.Doctor => ownership.AuthoredByCaller ? Access.Allowed : Access.Forbidden,
            Roles.Staff when reading => StaffReadable.Contains(resourceType) ? Access.Allowed : Access.Forbidden,
            Roles.Staff => StaffWritable.Contains(resourceType) && action != ClinicalAction.Delete ? Access.Allowed : Access.Forbidden,
            Roles.Auditor when reading && resourceType == "AuditEvent" => Access.Allowed,
            _ => Access.Forbidden,
        };
    }

    /// <summary>
    /// Report files and their ingestion jobs: a hospital system submits with <c>system/DocumentReference.c</c> (the
    /// original becomes a DocumentReference; the resources mapped from it are the server's derivation) and reads jobs,
    /// reports and originals with <c>.r</c> (lists with <c>.s</c>); doctors submit and read; staff submit (scanned paper
    /// reports) but read no clinical content; patients, auditors and administrators neither.
    /// </summary>
    public static Access Reports(CallerContext caller, string dataTenantId, ReportAction action)
    {
        if (!string.Equals(caller.TenantId, dataTenantId, StringComparison.Ordinal)) return Access.NotFound;
        if (caller.Kind == "client")
        {
            var permission = action switch { ReportAction.Submit => ScopePermissions.Create, ReportAction.Read => ScopePermissions.Read, _ => ScopePermissions.Search };
            return caller.Scopes.Allows(ScopeContext.System, "DocumentReference", permission) ? Access.Allowed : Access.Forbidden;
        }
        return (caller.Role, action) switch
        {
            (Roles.Doctor, _) => Access.Allowed,
            (Roles.Staff, ReportAction.Submit) => Access.Allowed,
            _ => Access.Forbidden,
        };
    }

    /// <summary>Managing the tenant's people and systems: its administrators only.</summary>
    public static Access Administer(CallerContext caller, string tenantId)
    {
        if (!string.Equals(caller.TenantId, tenantId, StringComparison.Ordinal)) return Access.NotFound;
        return caller is { Kind: "user", Role: Roles.Admin } ? Access.Allowed : Access.Forbidden;
    }

    /// <summary>Creating tenants: administrators of the operators' tenant (the bootstrap administrator's).</summary>
    public static Access OperatePlatform(CallerContext caller) =>
        caller is { Kind: "user", Role: Roles.Admin, TenantId: SystemTenant.Id } ? Access.Allowed : Access.Forbidden;

}

/// <summary>The operators' own tenant, created on first start with the bootstrap administrator.</summary>
public static class SystemTenant
{
    public const string Id = "system";
}
