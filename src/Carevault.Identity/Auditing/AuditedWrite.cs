using System.Data.Common;
using Carevault.Storage.Database;

namespace Carevault.Identity.Auditing;

/// <summary>
/// A store write that commits together with the audit record of the audited call it serves (decision 0012): the
/// write runs in one transaction, and when it changed something the call's record is appended in that transaction,
/// as answering the endpoint's success status. If the record cannot be written, nothing of the write is committed.
/// Outside an audited call (CLI, bootstrap) it is a plain transaction; the CLI records its commands itself.
/// </summary>
public static class AuditedWrite
{
    /// <param name="write">The statements, on the given connection and transaction.</param>
    /// <param name="changed">Whether the result is a change worth its record (false: not found, conflict — nothing written).</param>
    public static async Task<T> RunAsync<T>(Db db, Func<DbConnection, DbTransaction, Task<T>> write, Func<T, bool> changed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(changed);
        var notes = AuditNotes.Current;
        return await db.WriteAsync(async (connection, transaction, ct) =>
        {
            var result = await write(connection, transaction);
            if (!changed(result)) return (result, false);
            if (notes is not null) await notes.EnlistAsync(connection, transaction, ct);
            return (result, true);
        }, ct);
    }
}
