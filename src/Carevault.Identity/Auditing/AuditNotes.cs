using System.Data.Common;
using Microsoft.AspNetCore.Http;

namespace Carevault.Identity.Auditing;

/// <summary>
/// What an audited endpoint tells the trail about its call, beyond what the request shows: the resources it touched,
/// the search it ran, and — for sign-in and token requests, where nobody is authenticated yet — who was acting.
/// Set as an HttpContext feature by the audit filter; absent on endpoints that are not audited.
/// </summary>
public sealed class AuditNotes
{
    readonly List<string> _entities = [];

    /// <summary>Resource references (<c>Patient/123</c>, <c>Patient/123/_history/2</c>) the call touched.</summary>
    public IReadOnlyList<string> Entities => _entities;

    /// <summary>The search the call ran, as a query string (may hold identifiers: stored, never logged).</summary>
    public string? Query { get; set; }

    /// <summary>A refinement of the action: <c>lockout</c>, <c>refresh-token-reuse</c>, the admin operation.</summary>
    public string? Detail { get; set; }

    /// <summary>The acting party when the request is not authenticated (sign-in, token, reset).</summary>
    public AuditActor? Actor { get; set; }

    public void AddEntity(string reference)
    {
        if (!_entities.Contains(reference)) _entities.Add(reference);
    }

    /// <summary>Set by the trail: writes this call's record inside a store transaction (see <see cref="EnlistAsync"/>).</summary>
    public Func<DbConnection, DbTransaction, int, CancellationToken, Task>? Enlist { get; set; }

    /// <summary>The status of the record written inside the store transaction, once one was.</summary>
    public int? EnlistedStatus { get; private set; }

    /// <summary>
    /// Writes the record in the caller's transaction, as answering <paramref name="status"/>: it commits with the write
    /// or not at all, and the filter then writes no second record when the call answers that status.
    /// </summary>
    public async Task EnlistAsync(DbConnection connection, DbTransaction transaction, int status, CancellationToken ct)
    {
        if (Enlist is null) return;
        await Enlist(connection, transaction, status, ct);
        EnlistedStatus = status;
    }

    public static AuditNotes? Of(HttpContext http) => http.Features.Get<AuditNotes>();
}

/// <param name="TenantId">The tenant the endpoint verified the actor belongs to; null when unknown (recorded in the system chain).</param>
/// <param name="Id">User id, client id, or the name that was tried when no such user exists.</param>
/// <param name="Kind"><c>user</c>, <c>client</c>, <c>anonymous</c> or <c>operator</c>.</param>
public sealed record AuditActor(string? TenantId, string Id, string Kind, string? Role = null);
