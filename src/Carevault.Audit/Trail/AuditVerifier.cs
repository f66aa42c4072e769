using System.Globalization;
using System.Text.Json;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Audit.Trail;

/// <summary>The verdict on one tenant's chain: intact, or the first record that breaks it and how.</summary>
/// <param name="FirstBadSeq">The sequence number of the first edited, missing or misplaced record; null when intact.</param>
public sealed record ChainVerdict(string TenantId, long Records, long? FirstBadSeq, string? Problem, string HeadHash)
{
    public bool IsIntact => FirstBadSeq is null;
}

/// <summary>
/// Walks chains in sequence order from the retention anchor: every sequence number present (none deleted), each
/// record's previous hash equal to the hash before it (none reordered or replaced), each hash equal to the hash
/// recomputed from the stored fields under the audit key the record names (none edited), and the last record equal
/// to the head (none cut off the end). Keyed hashing (decision 0017): unkeyed (SHA-256) records may only precede the
/// first keyed one, and a chain must end keyed, so recomputing plain hashes over an edit does not pass.
/// </summary>
public sealed class AuditVerifier(Db db, AuditKeys keys)
{
    sealed class HeadRow
    {
        public long LastSeq { get; set; }
        public string LastHash { get; set; } = "";
        public long AnchorSeq { get; set; }
        public string AnchorHash { get; set; } = "";
    }

    public async Task<IReadOnlyList<ChainVerdict>> VerifyAsync(string? tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var tenants = tenantId is null ? await AuditReader.TenantsAsync(connection, ct) : [tenantId];
        var verdicts = new List<ChainVerdict>();
        foreach (var tenant in tenants) verdicts.Add(await VerifyTenantAsync(connection, tenant, ct));
        return verdicts;
    }

    async Task<ChainVerdict> VerifyTenantAsync(System.Data.Common.DbConnection connection, string tenant, CancellationToken ct)
    {
        var head = await connection.QuerySingleOrDefaultAsync<HeadRow>(new CommandDefinition(
            "SELECT last_seq AS LastSeq, last_hash AS LastHash, anchor_seq AS AnchorSeq, anchor_hash AS AnchorHash FROM audit_chain_heads WHERE tenant_id = @tenant",
            new { tenant }, cancellationToken: ct));
        if (head is null) return new ChainVerdict(tenant, 0, 0, "The tenant has no audit chain.", "");

        var expectedSeq = head.AnchorSeq + 1;
        var expectedPrev = head.AnchorHash;
        long count = 0;
        long? firstUnkeyed = null;
        var keyed = false;
        // Unbuffered: a chain can be long; rows stream in sequence order.
        var rows = connection.QueryUnbufferedAsync<AuditReader.Row>($"SELECT {AuditReader.Columns} FROM audit_records WHERE tenant_id = @tenant ORDER BY seq", new { tenant });
        await foreach (var row in rows.WithCancellation(ct))
        {
            count++;
            if (row.Seq < expectedSeq)
                return Bad(head, tenant, count, row.Seq, $"record {N(row.Seq)} lies before the chain's anchor {N(head.AnchorSeq)} (inserted)");
            if (row.Seq > expectedSeq)
                return Bad(head, tenant, count, expectedSeq, expectedSeq == row.Seq - 1
                    ? $"record {N(expectedSeq)} is missing (deleted)"
                    : $"records {N(expectedSeq)} to {N(row.Seq - 1)} are missing (deleted)");
            if (!string.Equals(row.PrevHash, expectedPrev, StringComparison.Ordinal))
                return Bad(head, tenant, count, row.Seq, $"record {N(row.Seq)} does not follow record {N(row.Seq - 1)}: records were reordered, or one was replaced");
            IReadOnlyList<string> entities;
            try
            {
                entities = AuditChain.DecodeEntities(row.Entities);
            }
            catch (JsonException)
            {
                return Bad(head, tenant, count, row.Seq, $"record {N(row.Seq)} was edited (its entities are unreadable)");
            }
            AuditKey? key = null;
            if (AuditHash.KeyIdOf(row.Hash) is { } keyId)
            {
                if (!keys.TryGet(keyId, out key))
                    return Bad(head, tenant, count, row.Seq, $"record {N(row.Seq)} names audit key '{keyId}', which is not in the audit key ring (forged, or the key was removed)");
                keyed = true;
            }
            else if (keyed)
            {
                return Bad(head, tenant, count, row.Seq, $"record {N(row.Seq)} was edited (it is unkeyed after keyed hashing began: re-hashed without the audit key)");
            }
            else
            {
                firstUnkeyed ??= row.Seq;
            }
            var record = row.ToRecord(entities);
            if (!AuditHash.Matches(AuditHash.Compute(record.Record, row.Seq, row.PrevHash, key), row.Hash))
                return Bad(head, tenant, count, row.Seq, $"record {N(row.Seq)} was edited (its hash does not match its contents)");
            expectedSeq++;
            expectedPrev = row.Hash;
        }
        if (expectedSeq - 1 != head.LastSeq || !string.Equals(expectedPrev, head.LastHash, StringComparison.Ordinal))
        {
            return expectedSeq - 1 < head.LastSeq
                ? Bad(head, tenant, count, expectedSeq, $"records {N(expectedSeq)} to {N(head.LastSeq)} are missing from the end (deleted)")
                : Bad(head, tenant, count, expectedSeq - 1, $"record {N(expectedSeq - 1)} does not match the chain head (the head or the last record was changed)");
        }
        // The chain must end keyed: unkeyed records are sealed by the keyed record after them (the keying marker).
        if (firstUnkeyed is { } unkeyed && !keyed)
        {
            return Bad(head, tenant, count, unkeyed, $"records {N(unkeyed)} to {N(head.LastSeq)} are unkeyed and no keyed record follows them: "
                + "re-hashed without the audit key (or written before keyed hashing by a server that has not started since)");
        }
        return new ChainVerdict(tenant, count, null, null, head.LastHash);
    }

    static ChainVerdict Bad(HeadRow head, string tenant, long count, long seq, string problem) => new(tenant, count, seq, problem, head.LastHash);

    static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
