using System.Data.Common;
using System.Text.Json;
using Carevault.Storage;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Ingestion.Jobs;

/// <summary>
/// The <c>ingestion_jobs</c> table. Every query filters on the tenant except the workers' claim, which takes due jobs
/// of every tenant. State changes by a worker name its lease (<c>lease_owner</c>): a worker whose lease ran out and
/// whose job another worker took changes nothing (docs/decisions/0010-ingestion-queue.md).
/// </summary>
public sealed class JobStore(Db db)
{
    internal const string Columns = """
        id AS Id, tenant_id AS TenantId, submitter AS Submitter, submitter_kind AS SubmitterKind, submitter_role AS SubmitterRole, submitter_scopes AS SubmitterScopes,
        status AS Status, format AS Format, content_type AS ContentType, sha256 AS Sha256, size_bytes AS SizeBytes, blob_key AS BlobKey,
        master_key_id AS MasterKeyId, idempotency_key AS IdempotencyKey, patient_identifier_system AS PatientIdentifierSystem,
        patient_identifier_value AS PatientIdentifierValue, report_type AS ReportType, report_date AS ReportDate, source AS Source,
        created_at AS CreatedAt, updated_at AS UpdatedAt, started_at AS StartedAt, finished_at AS FinishedAt, attempts AS Attempts,
        next_attempt_at AS NextAttemptAt, lease_owner AS LeaseOwner, resources AS Resources, patient_ref AS PatientRef,
        problem_code AS ProblemCode, problem_detail AS ProblemDetail, quarantined AS Quarantined
        """;

    /// <summary>Inserts a new job; false when the tenant already has a job with its idempotency key.</summary>
    public async Task<bool> InsertAsync(IngestionJob job, CancellationToken ct)
    {
        var inserted = await db.ExecuteAsync("""
            INSERT INTO ingestion_jobs (id, tenant_id, submitter, submitter_kind, submitter_role, submitter_scopes, status, format, content_type, sha256, size_bytes,
                blob_key, master_key_id, idempotency_key, patient_identifier_system, patient_identifier_value, report_type, report_date, source,
                created_at, updated_at, attempts, next_attempt_at, quarantined)
            VALUES (@Id, @TenantId, @Submitter, @SubmitterKind, @SubmitterRole, @SubmitterScopes, @Status, @Format, @ContentType, @Sha256, @SizeBytes,
                @BlobKey, @MasterKeyId, @IdempotencyKey, @PatientIdentifierSystem, @PatientIdentifierValue, @ReportType, @ReportDate, @Source,
                @CreatedAt, @UpdatedAt, 0, @NextAttemptAt, @Quarantined)
            ON CONFLICT DO NOTHING
            """, job, ct);
        return inserted == 1;
    }

    public async Task<IngestionJob?> GetAsync(string tenantId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<IngestionJob>(new CommandDefinition(
            $"SELECT {Columns} FROM ingestion_jobs WHERE tenant_id = @tenantId AND id = @id", new { tenantId, id }, cancellationToken: ct));
    }

    public async Task<IngestionJob?> GetByIdempotencyKeyAsync(string tenantId, string key, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<IngestionJob>(new CommandDefinition(
            $"SELECT {Columns} FROM ingestion_jobs WHERE tenant_id = @tenantId AND idempotency_key = @key", new { tenantId, key }, cancellationToken: ct));
    }

    /// <summary>A page of the tenant's jobs, newest first (keyset on the time-ordered id).</summary>
    public async Task<IReadOnlyList<IngestionJob>> ListAsync(string tenantId, JobFilter filter, CancellationToken ct)
    {
        var sql = $"SELECT {Columns} FROM ingestion_jobs WHERE tenant_id = @tenantId"
            + (filter.Status is null ? "" : " AND status = @Status")
            + (filter.Submitter is null ? "" : " AND submitter = @Submitter")
            + (filter.Quarantined ? " AND quarantined = 1" : "")
            // Dapper passes a list to Npgsql as one array parameter, and expands it for SQLite.
            + (filter.PatientRefs is null ? "" : db.Provider == DatabaseProvider.Postgres ? " AND patient_ref = ANY(@PatientRefs)" : " AND patient_ref IN @PatientRefs")
            + (filter.Before is null ? "" : " AND id < @Before")
            + " ORDER BY id DESC LIMIT @Limit";
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<IngestionJob>(new CommandDefinition(sql,
            new { tenantId, filter.Status, filter.Submitter, PatientRefs = filter.PatientRefs?.ToArray(), filter.Before, filter.Limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>Cancels a pending job. Null: no such job in the tenant; false: it is no longer pending.</summary>
    public async Task<bool?> CancelAsync(string tenantId, string id, long now, CancellationToken ct)
    {
        return await db.WriteAsync<bool?>(async (connection, transaction, ct) =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE ingestion_jobs SET status = 'cancelled', updated_at = @now, finished_at = @now WHERE tenant_id = @tenantId AND id = @id AND status = 'pending'",
                new { tenantId, id, now }, transaction, cancellationToken: ct));
            if (changed == 1) return (true, true);
            var exists = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT id FROM ingestion_jobs WHERE tenant_id = @tenantId AND id = @id", new { tenantId, id }, transaction, cancellationToken: ct));
            return (exists is null ? null : false, false);
        }, ct);
    }

    /// <summary>An administrator sends a dead-lettered or failed job round again with fresh attempts.</summary>
    public async Task<bool?> RetryAsync(string tenantId, string id, long now, CancellationToken ct)
    {
        return await db.WriteAsync<bool?>(async (connection, transaction, ct) =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE ingestion_jobs SET status = 'pending', attempts = 0, next_attempt_at = @now, updated_at = @now, finished_at = NULL,
                    problem_code = NULL, problem_detail = NULL, lease_owner = NULL
                WHERE tenant_id = @tenantId AND id = @id AND status IN ('dead-letter', 'failed') AND quarantined = 0
                """, new { tenantId, id, now }, transaction, cancellationToken: ct));
            if (changed == 1) return (true, true);
            var exists = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT id FROM ingestion_jobs WHERE tenant_id = @tenantId AND id = @id", new { tenantId, id }, transaction, cancellationToken: ct));
            return (exists is null ? null : false, false);
        }, ct);
    }

    /// <summary>
    /// Claims one due job for <paramref name="owner"/>: a pending job whose time has come, or an in-progress job whose
    /// lease ran out (its worker died). The claim counts an attempt and moves <c>next_attempt_at</c> to the lease's
    /// end. PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c> lets several processes claim side by side; SQLite serialises
    /// writers (one process).
    /// </summary>
    public async Task<IngestionJob?> ClaimAsync(string owner, long now, TimeSpan lease, CancellationToken ct)
    {
        var skipLocked = db.Provider == DatabaseProvider.Postgres ? "FOR UPDATE SKIP LOCKED" : "";
        return await db.WriteAsync(async (connection, transaction, ct) => (await connection.QuerySingleOrDefaultAsync<IngestionJob>(new CommandDefinition($"""
            UPDATE ingestion_jobs SET status = 'in-progress', attempts = attempts + 1, lease_owner = @owner, next_attempt_at = @leaseUntil,
                started_at = COALESCE(started_at, @now), updated_at = @now
            WHERE id IN (SELECT id FROM ingestion_jobs WHERE status IN ('pending', 'in-progress') AND next_attempt_at <= @now
                         ORDER BY next_attempt_at LIMIT 1 {skipLocked})
            RETURNING {Columns}
            """, new { owner, now, leaseUntil = now + (long)lease.TotalMilliseconds }, transaction, cancellationToken: ct)), true), ct);
    }

    /// <summary>
    /// The running worker's heartbeat: moves its lease's end to <paramref name="now"/> + <paramref name="lease"/>; false
    /// when the job is no longer this worker's (it finished, or another worker took it after the lease ran out).
    /// </summary>
    public async Task<bool> RenewLeaseAsync(string id, string owner, long now, TimeSpan lease, CancellationToken ct)
    {
        return await db.ExecuteAsync(
            "UPDATE ingestion_jobs SET next_attempt_at = @leaseUntil WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'",
            new { id, owner, leaseUntil = now + (long)lease.TotalMilliseconds }, ct) == 1;
    }

    /// <summary>Inside the store transaction that wrote the job's resources: marks it completed, if the lease is still ours.</summary>
    public static async Task<bool> CompleteAsync(DbConnection connection, DbTransaction transaction, string id, string owner, IReadOnlyList<string> resources,
        string? patientRef, long now, CancellationToken ct)
    {
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE ingestion_jobs SET status = 'completed', resources = @resources, patient_ref = @patientRef, finished_at = @now, updated_at = @now,
                lease_owner = NULL, problem_code = NULL, problem_detail = NULL
            WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'
            """, new { id, owner, resources = JsonSerializer.Serialize(resources), patientRef, now }, transaction, cancellationToken: ct));
        return changed == 1;
    }

    /// <summary>Ends a job without resources (failed, quarantined, dead-letter), if the lease is still ours.</summary>
    public async Task<bool> FinishAsync(string id, string owner, string status, string code, string detail, bool quarantine, long now, CancellationToken ct)
    {
        return await db.ExecuteAsync("""
            UPDATE ingestion_jobs SET status = @status, problem_code = @code, problem_detail = @detail, quarantined = @quarantined,
                finished_at = @now, updated_at = @now, lease_owner = NULL
            WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'
            """, new { id, owner, status, code, detail, quarantined = quarantine ? 1 : 0, now }, ct) == 1;
    }

    /// <summary>After a transient failure: back to pending, due at <paramref name="next"/>, if the lease is still ours.</summary>
    public async Task<bool> RescheduleAsync(string id, string owner, string code, long next, long now, CancellationToken ct)
    {
        return await db.ExecuteAsync("""
            UPDATE ingestion_jobs SET status = 'pending', problem_code = @code, problem_detail = NULL, next_attempt_at = @next, updated_at = @now, lease_owner = NULL
            WHERE id = @id AND lease_owner = @owner AND status = 'in-progress'
            """, new { id, owner, code, next, now }, ct) == 1;
    }

    /// <summary>One tenant's jobs waiting or running (its share of the queue, for its administrators).</summary>
    public async Task<long> CountOpenAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM ingestion_jobs WHERE tenant_id = @tenantId AND status IN ('pending', 'in-progress')", new { tenantId }, cancellationToken: ct));
    }

    /// <summary>Jobs waiting or running, over all tenants (the queue-depth gauge).</summary>
    public async Task<long> CountOpenAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM ingestion_jobs WHERE status IN ('pending', 'in-progress')", cancellationToken: ct));
    }
}

/// <summary>Which of a tenant's jobs to list.</summary>
public sealed record JobFilter
{
    public string? Status { get; init; }
    public string? Submitter { get; init; }
    public bool Quarantined { get; init; }

    /// <summary>Only jobs whose resources belong to one of these patients (<c>Patient/id</c>).</summary>
    public IReadOnlyList<string>? PatientRefs { get; init; }

    /// <summary>Continue after this job id (keyset).</summary>
    public string? Before { get; init; }

    public int Limit { get; init; } = 50;
}
