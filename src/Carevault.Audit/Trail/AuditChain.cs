using System.Data.Common;
using System.Text.Json;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Audit.Trail;

/// <summary>
/// Appends records to tenants' chains inside a caller's transaction. The chain head row of each tenant is locked
/// first (<c>SELECT … FOR UPDATE</c> on PostgreSQL; SQLite's write transaction is already exclusive), so writers in
/// several processes take turns per tenant and sequence numbers never repeat or skip.
/// </summary>
internal static class AuditChain
{
    sealed class Head
    {
        public long LastSeq { get; set; }
        public string LastHash { get; set; } = "";
    }

    /// <summary>
    /// Appends in order, each record HMAC-hashed under the active audit key; tenants are locked in ordinal order so two
    /// batches cannot deadlock. A chain whose last record is unkeyed (written before keyed hashing) first gets the
    /// record that marks where keyed hashing begins (decision 0017).
    /// </summary>
    public static async Task<IReadOnlyList<ChainedAuditRecord>> AppendAsync(DbConnection connection, DbTransaction transaction, SqlDialect dialect, AuditKeys keys,
        IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        var results = new ChainedAuditRecord[records.Count];
        var tenants = records.Select(r => r.TenantId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var tenant in tenants)
        {
            var head = await LockHeadAsync(connection, transaction, dialect, tenant, ct);
            var seq = head.LastSeq;
            var hash = head.LastHash;
            var key = keys.Active;
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                if (!string.Equals(record.TenantId, tenant, StringComparison.Ordinal)) continue;
                if (seq > 0 && AuditHash.KeyIdOf(hash) is null)
                {
                    var marker = KeyingMarker(tenant, key, record.RecordedAt);
                    seq++;
                    var markerHash = AuditHash.Compute(marker, seq, hash, key);
                    await InsertAsync(connection, transaction, marker, seq, hash, markerHash, ct);
                    hash = markerHash;
                }
                seq++;
                var next = AuditHash.Compute(record, seq, hash, key);
                await InsertAsync(connection, transaction, record, seq, hash, next, ct);
                results[i] = new ChainedAuditRecord(record, seq, hash, next);
                hash = next;
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE audit_chain_heads SET last_seq = @seq, last_hash = @hash WHERE tenant_id = @tenant",
                new { seq, hash, tenant }, transaction, cancellationToken: ct));
        }
        return results;
    }

    /// <summary>
    /// Marks where keyed hashing begins on a chain that still ends in unkeyed records (an idle tenant after the upgrade):
    /// appends the marker alone. False when the chain is empty or already keyed.
    /// </summary>
    public static async Task<bool> SealAsync(DbConnection connection, DbTransaction transaction, SqlDialect dialect, AuditKeys keys, string tenant, long now, CancellationToken ct)
    {
        var head = await LockHeadAsync(connection, transaction, dialect, tenant, ct);
        if (head.LastSeq == 0 || AuditHash.KeyIdOf(head.LastHash) is not null) return false;
        var key = keys.Active;
        var marker = KeyingMarker(tenant, key, now);
        var seq = head.LastSeq + 1;
        var hash = AuditHash.Compute(marker, seq, head.LastHash, key);
        await InsertAsync(connection, transaction, marker, seq, head.LastHash, hash, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE audit_chain_heads SET last_seq = @seq, last_hash = @hash WHERE tenant_id = @tenant",
            new { seq, hash, tenant }, transaction, cancellationToken: ct));
        return true;
    }

    /// <summary>The record that marks where keyed hashing begins: its own keyed hash covers the last unkeyed hash.</summary>
    static AuditRecord KeyingMarker(string tenant, AuditKey key, long now) => new()
    {
        TenantId = tenant,
        RecordedAt = now,
        Action = Identity.Auditing.AuditActions.Name(Identity.Auditing.AuditAction.KeyRotation),
        Status = 200,
        ActorKind = "system",
        ActorId = "carevault",
        Detail = "audit chain keyed: from this record on, hashes are HMAC-SHA256 under audit key " + key.Id,
    };

    static async Task<Head> LockHeadAsync(DbConnection connection, DbTransaction transaction, SqlDialect dialect, string tenant, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash, anchor_seq, anchor_hash) VALUES (@tenant, 0, @genesis, 0, @genesis) ON CONFLICT (tenant_id) DO NOTHING",
            new { tenant, genesis = AuditHash.Genesis }, transaction, cancellationToken: ct));
        var sql = "SELECT last_seq AS LastSeq, last_hash AS LastHash FROM audit_chain_heads WHERE tenant_id = @tenant"
            + (dialect == SqlDialect.Postgres ? " FOR UPDATE" : "");
        return await connection.QuerySingleAsync<Head>(new CommandDefinition(sql, new { tenant }, transaction, cancellationToken: ct));
    }

    static async Task InsertAsync(DbConnection connection, DbTransaction transaction, AuditRecord record, long seq, string prevHash, string hash, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_records (tenant_id, seq, recorded_at, action, outcome, status, actor_kind, actor_id, actor_role, source_ip, user_agent, entities, query, detail, prev_hash, hash)
            VALUES (@TenantId, @seq, @RecordedAt, @Action, @Outcome, @Status, @ActorKind, @ActorId, @ActorRole, @SourceIp, @UserAgent, @entities, @Query, @Detail, @prevHash, @hash)
            """,
            new
            {
                record.TenantId, seq, record.RecordedAt, record.Action, record.Outcome, record.Status, record.ActorKind, record.ActorId, record.ActorRole,
                record.SourceIp, record.UserAgent, entities = EncodeEntities(record.Entities), record.Query, record.Detail, prevHash, hash,
            }, transaction, cancellationToken: ct));
        foreach (var entity in record.Entities.Distinct(StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO audit_entities (tenant_id, entity, seq) VALUES (@TenantId, @entity, @seq)",
                new { record.TenantId, entity, seq }, transaction, cancellationToken: ct));
        }
    }

    public static string EncodeEntities(IReadOnlyList<string> entities) => entities.Count == 0 ? "[]" : JsonSerializer.Serialize(entities);

    public static IReadOnlyList<string> DecodeEntities(string stored) =>
        stored is "" or "[]" ? [] : JsonSerializer.Deserialize<string[]>(stored) ?? [];
}
