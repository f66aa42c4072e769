using Carevault.Storage;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Records.Export;

/// <summary>
/// The <c>fhir_export_jobs</c> table. Every query filters on the tenant and the requester except the workers' claim
/// and expiry sweep, which take rows of every tenant. A worker's state changes name its lease (<c>lease_owner</c>):
/// once its lease ran out and another worker took the job, or the requester cancelled it, it changes nothing.
/// </summary>
internal sealed class ExportJobStore(Db db)
{
    const string Columns = """
        id AS Id, tenant_id AS TenantId, requester AS Requester, level AS Level, group_id AS GroupId, types AS Types, since AS Since,
        request_url AS RequestUrl, transaction_time AS TransactionTime, status AS Status, progress AS Progress, output AS Output,
        error_code AS ErrorCode, attempts AS Attempts, next_attempt_at AS NextAttemptAt, lease_owner AS LeaseOwner, created_at AS CreatedAt,
        updated_at AS UpdatedAt, finished_at AS FinishedAt, expires_at AS ExpiresAt
        """;

    /// <summary>Inserts a new export and (for a Group export) its members, in one transaction.</summary>
    public async Task InsertAsync(ExportJob job, IReadOnlyCollection<string> patients, CancellationToken ct)
    {
        await db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO fhir_export_jobs (id, tenant_id, requester, level, group_id, types, since, request_url, transaction_time, status, attempts,
                    next_attempt_at, created_at, updated_at)
                VALUES (@Id, @TenantId, @Requester, @Level, @GroupId, @Types, @Since, @RequestUrl, @TransactionTime, @Status, 0, @NextAttemptAt, @CreatedAt, @UpdatedAt)
                """, job, transaction, cancellationToken: ct));
            foreach (var chunk in patients.Chunk(500))
                await connection.ExecuteAsync(new CommandDefinition("INSERT INTO fhir_export_patients (job_id, patient_id) VALUES (@job, @patient)",
                    chunk.Select(p => new { job = job.Id, patient = p }), transaction, cancellationToken: ct));
            return (0, true);
        }, ct);
    }

    /// <summary>The requester's export; null for any other tenant or caller, and once cancelled.</summary>
    public async Task<ExportJob?> GetAsync(string tenantId, string requester, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ExportJob>(new CommandDefinition(
            $"SELECT {Columns} FROM fhir_export_jobs WHERE tenant_id = @tenantId AND requester = @requester AND id = @id AND status <> 'cancelled'",
            new { tenantId, requester, id }, cancellationToken: ct));
    }

    /// <summary>Cancels the requester's export (whatever its state) and returns it as it was; null when there is none.</summary>
    public async Task<ExportJob?> CancelAsync(string tenantId, string requester, string id, long now, CancellationToken ct)
    {
        return await db.WriteAsync(async (connection, transaction, ct) => (await connection.QuerySingleOrDefaultAsync<ExportJob>(new CommandDefinition($"""
            UPDATE fhir_export_jobs SET status = 'cancelled', lease_owner = NULL, updated_at = @now, finished_at = @now, expires_at = @now
            WHERE tenant_id = @tenantId AND requester = @requester AND id = @id AND status <> 'cancelled'
            RETURNING {Columns}
            """, new { tenantId, requester, id, now }, transaction, cancellationToken: ct)), true), ct);
    }

    /// <summary>
    /// Claims one due export for <paramref name="owner"/>: a pending one, or an in-progress one whose lease ran out (its
    /// worker died). PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c> lets several processes claim side by side; SQLite
    /// serialises writers (one process).
    /// </summary>
    public async Task<ExportJob?> ClaimAsync(string owner, long now, TimeSpan lease, CancellationToken ct)
    {
        var skipLocked = db.Provider == DatabaseProvider.Postgres ? "FOR UPDATE SKIP LOCKED" : "";
        return await db.WriteAsync(async (connection, transaction, ct) => (await connection.QuerySingleOrDefaultAsync<ExportJob>(new CommandDefinition($"""
            UPDATE fhir_export_jobs SET status = 'in-progress', attempts = attempts + 1, lease_owner = @owner, next_attempt_at = @leaseUntil, updated_at = @now
            WHERE id IN (SELECT id FROM fhir_export_jobs WHERE status IN ('pending', 'in-progress') AND next_attempt_at <= @now
                         ORDER BY next_attempt_at LIMIT 1 {skipLocked})
            RETURNING {Columns}
            """, new { owner, now, leaseUntil = now + (long)lease.TotalMilliseconds }, transaction, cancellationToken: ct)), true), ct);
    }

    /// <summary>Extends the lease and records the progress; false when the lease is no longer ours (cancelled, or taken over).</summary>
    public async Task<bool> RenewAsync(string id, string owner, string progress, long now, TimeSpan lease, CancellationToken ct)
    {
        return await db.ExecuteAsync("""
            UPDATE fhir_export_jobs SET next_attempt_at = @leaseUntil, progress = @progress, updated_at = @now
            WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'
            """, new { id, owner, progress, now, leaseUntil = now + (long)lease.TotalMilliseconds }, ct) == 1;
    }

    public async Task<bool> CompleteAsync(string id, string owner, string output, long now, long expiresAt, CancellationToken ct)
    {
        return await db.ExecuteAsync("""
            UPDATE fhir_export_jobs SET status = 'completed', output = @output, progress = NULL, lease_owner = NULL, updated_at = @now, finished_at = @now, expires_at = @expiresAt
            WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'
            """, new { id, owner, output, now, expiresAt }, ct) == 1;
    }

    /// <summary>After a failure: pending again at <paramref name="next"/>, or failed for good when <paramref name="final"/>.</summary>
    public async Task<bool> FailAsync(string id, string owner, string code, bool final, long next, long now, long expiresAt, CancellationToken ct)
    {
        return await db.ExecuteAsync("""
            UPDATE fhir_export_jobs SET status = CASE WHEN @final THEN 'failed' ELSE 'pending' END, error_code = @code, lease_owner = NULL, next_attempt_at = @next,
                updated_at = @now, finished_at = CASE WHEN @final THEN @now ELSE NULL END, expires_at = CASE WHEN @final THEN @expiresAt ELSE NULL END
            WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'
            """, new { id, owner, code, final, next, now, expiresAt }, ct) == 1;
    }

    public async Task<string> StatusAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT status FROM fhir_export_jobs WHERE id = @id", new { id }, cancellationToken: ct)) ?? ExportJob.Cancelled;
    }

    /// <summary>Finished exports whose files have expired (of every tenant), a batch at a time.</summary>
    public async Task<IReadOnlyList<ExportJob>> ExpiredAsync(long now, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<ExportJob>(new CommandDefinition(
            $"SELECT {Columns} FROM fhir_export_jobs WHERE expires_at IS NOT NULL AND expires_at <= @now AND status IN ('completed', 'failed', 'cancelled') ORDER BY expires_at LIMIT @limit",
            new { now, limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>Removes a finished export's row (its members go with it) once its files are deleted.</summary>
    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        await db.ExecuteAsync("DELETE FROM fhir_export_jobs WHERE id = @id AND status IN ('completed', 'failed', 'cancelled')", new { id }, ct);
    }
}
