using Carevault.Identity.Authorization;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Jobs;

namespace Carevault.Portal.Admin;

/// <summary>What an administration action answered: done, or why not (shown at the form).</summary>
public enum AdminOutcome { Done, NotFound, Conflict }

/// <summary>
/// The administrator's dashboard over the services behind <c>/api/admin</c>: hospital clients (<see cref="ClientStore"/>),
/// ingestion jobs, dead letters and quarantine (<see cref="JobStore"/>). Every method checks
/// <see cref="AccessPolicy.Administer"/> itself (the page policy only gates navigation) and works in the caller's own
/// tenant, so another organisation's client or job is simply not found. Identity writes commit with the page's audit
/// record (<c>AuditedWrite</c> finds the call the page audit opened).
/// </summary>
public sealed class AdminConsole(ClientStore clients, JobStore jobs, JobSignal signal, TimeProvider clock)
{
    /// <summary>How many jobs a list shows (newest first).</summary>
    public const int ListSize = 100;

    public async Task<IReadOnlyList<Client>> ClientsAsync(CallerContext caller, CancellationToken ct)
    {
        Require(caller);
        return await clients.ListAsync(caller.TenantId, ct);
    }

    /// <summary>
    /// Registers a hospital system with <c>system/</c> scopes and a secret; the secret is in the result only (the store
    /// keeps a salted hash). A validation problem comes back as <paramref name="error"/> with the field it concerns.
    /// </summary>
    public async Task<(IssuedClientSecret? Issued, string? Field, string? Error)> RegisterClientAsync(CallerContext caller, string? name, string? scopes, int? tokenMinutes, CancellationToken ct)
    {
        Require(caller);
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200) return (null, "Name", "Enter a name of 1 to 200 characters.");
        if (SystemScopes(scopes) is not { } parsed) return (null, "Scopes", ScopesHint);
        if (tokenMinutes is < 1 || tokenMinutes > ClientStore.MaxTokenLifetime.TotalMinutes)
            return (null, "TokenMinutes", $"Token lifetime is 1 to {ClientStore.MaxTokenLifetime.TotalMinutes:0} minutes.");
        var lifetime = tokenMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        return (await clients.CreateAsync(caller.TenantId, name, parsed, lifetime, ct), null, null);
    }

    /// <summary>Replaces an active client's scopes; <see cref="AdminOutcome.NotFound"/> for another tenant's or a revoked client.</summary>
    public async Task<(AdminOutcome Outcome, string? Error)> ChangeScopesAsync(CallerContext caller, string clientId, string? scopes, CancellationToken ct)
    {
        Require(caller);
        if (SystemScopes(scopes) is not { } parsed) return (AdminOutcome.Conflict, ScopesHint);
        return await clients.SetScopesAsync(caller.TenantId, clientId, parsed, ct) ? (AdminOutcome.Done, null) : (AdminOutcome.NotFound, null);
    }

    /// <summary>Disables (revokes) a client: it obtains no more tokens.</summary>
    public async Task<AdminOutcome> DisableClientAsync(CallerContext caller, string clientId, CancellationToken ct)
    {
        Require(caller);
        return await clients.RevokeAsync(caller.TenantId, clientId, ct) ? AdminOutcome.Done : AdminOutcome.NotFound;
    }

    /// <summary>The tenant's most recent jobs, optionally of one status (<see cref="JobStatus.All"/>).</summary>
    public async Task<IReadOnlyList<IngestionJob>> JobsAsync(CallerContext caller, string? status, CancellationToken ct)
    {
        Require(caller);
        if (status is not null && !JobStatus.All.Contains(status)) throw new ArgumentException("Unknown job status.", nameof(status));
        return await jobs.ListAsync(caller.TenantId, new JobFilter { Status = status, Limit = ListSize }, ct);
    }

    public async Task<IReadOnlyList<IngestionJob>> DeadLettersAsync(CallerContext caller, CancellationToken ct)
    {
        Require(caller);
        return await jobs.ListAsync(caller.TenantId, new JobFilter { Status = JobStatus.DeadLetter, Limit = ListSize }, ct);
    }

    /// <summary>Quarantined originals: listed, never parsed or shown.</summary>
    public async Task<IReadOnlyList<IngestionJob>> QuarantineAsync(CallerContext caller, CancellationToken ct)
    {
        Require(caller);
        return await jobs.ListAsync(caller.TenantId, new JobFilter { Quarantined = true, Limit = ListSize }, ct);
    }

    /// <summary>Sends a dead-lettered or failed job round again (as <c>POST /api/admin/jobs/{id}/retry</c>).</summary>
    public async Task<AdminOutcome> RetryAsync(CallerContext caller, string jobId, CancellationToken ct)
    {
        Require(caller);
        var retried = await jobs.RetryAsync(caller.TenantId, jobId, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        if (retried is null) return AdminOutcome.NotFound;
        if (retried == false) return AdminOutcome.Conflict;
        signal.Notify();
        return AdminOutcome.Done;
    }

    /// <summary>The tenant's jobs waiting or running.</summary>
    public async Task<long> OpenJobsAsync(CallerContext caller, CancellationToken ct)
    {
        Require(caller);
        return await jobs.CountOpenAsync(caller.TenantId, ct);
    }

    const string ScopesHint = "Give system/ scopes in SMART syntax, separated by spaces, e.g. system/Observation.cruds system/Patient.rs.";

    /// <summary>The same rule as <c>POST /api/admin/clients</c>: at least one clinical scope, all of them <c>system/</c>.</summary>
    static ScopeSet? SystemScopes(string? text) =>
        text is { Length: > 0 and <= 2000 } && ScopeSet.TryParse(text, out var scopes) && scopes.Clinical.Count > 0 && scopes.Clinical.All(s => s.Context == ScopeContext.System)
            ? scopes
            : null;

    internal static void Require(CallerContext caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        // Pages reach here only through the admin policy: a refusal is a wiring bug, not an expected outcome.
        if (AccessPolicy.Administer(caller, caller.TenantId) != Access.Allowed)
            throw new UnauthorizedAccessException("Only the tenant's administrators use the admin dashboard.");
    }
}
