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
    static readonly AsyncLocal<AuditNotes?> CurrentCall = new();

    readonly List<string> _entities = [];

    /// <summary>
    /// The audited call running on this flow, for stores that take no <see cref="HttpContext"/> (identity writes):
    /// set by the audit filter around the endpoint; null outside audited calls (CLI, background work).
    /// </summary>
    public static AuditNotes? Current
    {
        get => CurrentCall.Value;
        internal set => CurrentCall.Value = value;
    }

    /// <summary>
    /// For audited work that no endpoint filter wraps (portal pages, whose middleware opens the notes): makes
    /// <paramref name="notes"/> the current call's on this flow, so identity writes commit with its record; null clears it.
    /// </summary>
    public static void Use(AuditNotes? notes) => CurrentCall.Value = notes;

    /// <summary>Resource references (<c>Patient/123</c>, <c>Patient/123/_history/2</c>) the call touched.</summary>
    public IReadOnlyList<string> Entities => _entities;

    /// <summary>The search the call ran, as a query string (may hold identifiers: stored, never logged).</summary>
    public string? Query { get; set; }

    /// <summary>A refinement of the action: <c>lockout</c>, <c>refresh-token-reuse</c>, the admin operation.</summary>
    public string? Detail { get; set; }

    /// <summary>The acting party when the request is not authenticated (sign-in, token, reset).</summary>
    public AuditActor? Actor { get; set; }

    /// <summary>The status the endpoint declares for success (its lowest 2xx response): what a store write enlists as.</summary>
    public int SuccessStatus { get; set; } = StatusCodes.Status200OK;

    public void AddEntity(string reference)
    {
        if (!_entities.Contains(reference)) _entities.Add(reference);
    }

    /// <summary>Set by the trail: writes a record of this call inside a store transaction (see <see cref="EnlistAsync(DbConnection, DbTransaction, int, CancellationToken)"/>).</summary>
    public Func<DbConnection, DbTransaction, AuditPart, CancellationToken, Task>? Enlist { get; set; }

    /// <summary>The status of the record written inside the store transaction, once one was.</summary>
    public int? EnlistedStatus { get; private set; }

    /// <summary>
    /// Writes the record in the caller's transaction, as answering <paramref name="status"/>: it commits with the write
    /// or not at all, and the filter then writes no second record when the call answers that status.
    /// </summary>
    public async Task EnlistAsync(DbConnection connection, DbTransaction transaction, int status, CancellationToken ct)
    {
        if (Enlist is null) return;
        await Enlist(connection, transaction, new AuditPart(status), ct);
        EnlistedStatus = status;
    }

    /// <summary>As <see cref="EnlistAsync(DbConnection, DbTransaction, int, CancellationToken)"/>, answering the endpoint's declared success status.</summary>
    public Task EnlistAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) => EnlistAsync(connection, transaction, SuccessStatus, ct);

    /// <summary>
    /// Writes a record of one part of the call that commits on its own (an entry of a batch Bundle) in that part's
    /// transaction. The call's own record is still written by the filter.
    /// </summary>
    public async Task EnlistPartAsync(DbConnection connection, DbTransaction transaction, AuditPart part, CancellationToken ct)
    {
        if (Enlist is null) return;
        await Enlist(connection, transaction, part, ct);
    }

    public static AuditNotes? Of(HttpContext http) => http.Features.Get<AuditNotes>();
}

/// <summary>What a record written inside a store transaction says, where it differs from the call's own record.</summary>
/// <param name="Status">The status the write answers (201 created, 200 updated, 204 deleted).</param>
/// <param name="Action">The part's own action (a batch entry's create, update or delete); null: the call's.</param>
/// <param name="Entities">The part's references; null: the call's notes.</param>
/// <param name="Detail">The part's refinement (<c>batch entry 3</c>); null: the call's.</param>
public sealed record AuditPart(int Status, AuditAction? Action = null, IReadOnlyList<string>? Entities = null, string? Detail = null);

/// <param name="TenantId">The tenant the endpoint verified the actor belongs to; null when unknown (recorded in the system chain).</param>
/// <param name="Id">User id, client id, or the name that was tried when no such user exists.</param>
/// <param name="Kind"><c>user</c>, <c>client</c>, <c>anonymous</c> or <c>operator</c>.</param>
public sealed record AuditActor(string? TenantId, string Id, string Kind, string? Role = null);
