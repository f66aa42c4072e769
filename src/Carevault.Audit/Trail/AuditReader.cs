using System.Data.Common;
using System.Text;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Audit.Trail;

/// <summary>Filters of a trail search (all optional; all must match). Dates are UTC Unix milliseconds, half-open.</summary>
public sealed record AuditFilter
{
    public string? Agent { get; init; }
    public string? Entity { get; init; }
    public string? Outcome { get; init; }
    public string? Action { get; init; }
    public long? From { get; init; }
    public long? Before { get; init; }

    /// <summary>Keyset: only records with a smaller sequence number (the page continues below the last one read).</summary>
    public long? BelowSeq { get; init; }
}

/// <summary>Reads one tenant's trail, newest first. Every statement filters on the tenant.</summary>
public sealed class AuditReader(Db db)
{
    internal sealed class Row
    {
        public string TenantId { get; set; } = "";
        public long Seq { get; set; }
        public long RecordedAt { get; set; }
        public string Action { get; set; } = "";
        public string Outcome { get; set; } = "";
        public long Status { get; set; }
        public string ActorKind { get; set; } = "";
        public string ActorId { get; set; } = "";
        public string ActorRole { get; set; } = "";
        public string SourceIp { get; set; } = "";
        public string UserAgent { get; set; } = "";
        public string Entities { get; set; } = "";
        public string Query { get; set; } = "";
        public string Detail { get; set; } = "";
        public string PrevHash { get; set; } = "";
        public string Hash { get; set; } = "";

        public ChainedAuditRecord ToRecord(IReadOnlyList<string> entities) => new(new AuditRecord
        {
            TenantId = TenantId,
            RecordedAt = RecordedAt,
            Action = Action,
            Outcome = Outcome,
            Status = (int)Status,
            ActorKind = ActorKind,
            ActorId = ActorId,
            ActorRole = ActorRole,
            SourceIp = SourceIp,
            UserAgent = UserAgent,
            Entities = entities,
            Query = Query,
            Detail = Detail,
        }, Seq, PrevHash, Hash);
    }

    internal const string Columns = "tenant_id AS TenantId, seq AS Seq, recorded_at AS RecordedAt, action AS Action, outcome AS Outcome, status AS Status, "
        + "actor_kind AS ActorKind, actor_id AS ActorId, actor_role AS ActorRole, source_ip AS SourceIp, user_agent AS UserAgent, entities AS Entities, "
        + "query AS Query, detail AS Detail, prev_hash AS PrevHash, hash AS Hash";

    public async Task<IReadOnlyList<ChainedAuditRecord>> SearchAsync(string tenantId, AuditFilter filter, int count, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT ").Append(Columns).Append(" FROM audit_records r WHERE r.tenant_id = @tenantId");
        if (filter.Agent is not null) sql.Append(" AND r.actor_id = @Agent");
        if (filter.Entity is not null) sql.Append(" AND r.seq IN (SELECT e.seq FROM audit_entities e WHERE e.tenant_id = @tenantId AND e.entity = @Entity)");
        if (filter.Outcome is not null) sql.Append(" AND r.outcome = @Outcome");
        if (filter.Action is not null) sql.Append(" AND r.action = @Action");
        if (filter.From is not null) sql.Append(" AND r.recorded_at >= @From");
        if (filter.Before is not null) sql.Append(" AND r.recorded_at < @Before");
        if (filter.BelowSeq is not null) sql.Append(" AND r.seq < @BelowSeq");
        sql.Append(" ORDER BY r.seq DESC LIMIT @count");
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql.ToString(),
            new { tenantId, filter.Agent, filter.Entity, filter.Outcome, filter.Action, filter.From, filter.Before, filter.BelowSeq, count }, cancellationToken: ct));
        return rows.Select(r => r.ToRecord(AuditChain.DecodeEntities(r.Entities))).ToList();
    }

    public async Task<ChainedAuditRecord?> FindAsync(string tenantId, long seq, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM audit_records WHERE tenant_id = @tenantId AND seq = @seq", new { tenantId, seq }, cancellationToken: ct));
        return row?.ToRecord(AuditChain.DecodeEntities(row.Entities));
    }

    /// <summary>Every tenant that has a chain.</summary>
    internal static async Task<IReadOnlyList<string>> TenantsAsync(DbConnection connection, CancellationToken ct) =>
        (await connection.QueryAsync<string>(new CommandDefinition("SELECT tenant_id FROM audit_chain_heads ORDER BY tenant_id", cancellationToken: ct))).AsList();
}
