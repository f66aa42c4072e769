using Carevault.Audit.Trail;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;

namespace Carevault.Portal.Admin;

/// <summary>
/// The audit viewer's reads over the audit module's services: the trail search behind <c>GET /api/audit</c>
/// (<see cref="AuditReader"/>, newest first, keyset-paged) and the chain check behind <c>carevault audit verify</c>
/// (<see cref="AuditVerifier"/>), both for the caller's own tenant. The rule is the JSON API's: people whose role
/// may read <c>AuditEvent</c> (auditors; not administrators, whom the trail watches).
/// </summary>
public sealed class AuditTrailViewer(AuditReader reader, AuditVerifier verifier)
{
    public const int PageSize = 50;

    /// <summary>One page of the tenant's trail, and whether there is more below it.</summary>
    public async Task<(IReadOnlyList<ChainedAuditRecord> Records, bool More)> SearchAsync(CallerContext caller, AuditFilter filter, CancellationToken ct)
    {
        Require(caller);
        ArgumentNullException.ThrowIfNull(filter);
        var records = await reader.SearchAsync(caller.TenantId, filter, PageSize + 1, ct);
        return records.Count > PageSize ? (records.Take(PageSize).ToList(), true) : (records, false);
    }

    /// <summary>Walks the tenant's whole chain (as the CLI's <c>audit verify</c>) and says whether it is intact.</summary>
    public async Task<ChainVerdict> VerifyAsync(CallerContext caller, CancellationToken ct)
    {
        Require(caller);
        return (await verifier.VerifyAsync(caller.TenantId, ct)).Single();
    }

    /// <summary>True when the caller may read the trail (the page policy asks the same).</summary>
    public static bool MayRead(CallerContext? caller) =>
        caller is { Kind: "user" } && AccessPolicy.Clinical(caller, caller.TenantId, "AuditEvent", ClinicalAction.Search, Ownership.None) == Access.Allowed;

    static void Require(CallerContext caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!MayRead(caller)) throw new UnauthorizedAccessException("Only the tenant's auditors read the audit trail.");
    }
}
