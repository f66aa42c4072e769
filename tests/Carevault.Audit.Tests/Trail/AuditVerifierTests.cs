using Carevault.Audit.Trail;
using Carevault.Crypto;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Audit.Tests.Trail;

/// <summary>Tampering with stored records is detected, and the first broken record is named.</summary>
public sealed class AuditVerifierTests
{
    static async Task<(AuditHarness H, string Tenant)> ChainOfFiveAsync(DatabaseProvider provider)
    {
        var h = await AuditHarness.CreateAsync(provider);
        var tenant = AuditHarness.Tenant();
        for (var i = 1; i <= 5; i++) await h.Trail.AppendAsync(h.Record(tenant, entities: $"Patient/{i}"), default);
        Assert.True((await h.VerifyAsync(tenant)).IsIntact);
        return (h, tenant);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenOneByteOfOneRecordChanges_NamesThatRecord(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        // One byte of the actor: client-1 → client-2.
        await h.ExecuteAsync("UPDATE audit_records SET actor_id = 'client-2' WHERE tenant_id = @tenant AND seq = 3", new { tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(3, verdict.FirstBadSeq);
        Assert.Contains("edited", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenTheOutcomeColumnAloneChanges_NamesThatRecord(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        await h.ExecuteAsync("UPDATE audit_records SET outcome = 'failure' WHERE tenant_id = @tenant AND seq = 2", new { tenant });

        Assert.Equal(2, (await h.VerifyAsync(tenant)).FirstBadSeq);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenARecordIsEditedAndRehashedWithTheKey_NamesTheNextRecord(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        // Someone holding the audit key re-hashes one record: the next record still links to the original hash.
        var forged = h.Record(tenant, actor: "someone-else", entities: "Patient/3");
        var reader = await h.Reader.FindAsync(tenant, 3, default);
        var hash = AuditHash.Compute(forged with { RecordedAt = reader!.Record.RecordedAt }, 3, reader.PrevHash, h.Keys.Active);
        await h.ExecuteAsync("UPDATE audit_records SET actor_id = 'someone-else', hash = @hash WHERE tenant_id = @tenant AND seq = 3", new { tenant, hash });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(4, verdict.FirstBadSeq);
        Assert.Contains("does not follow record 3", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenARecordIsDeleted_NamesIt(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        await h.ExecuteAsync("DELETE FROM audit_records WHERE tenant_id = @tenant AND seq = 2", new { tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(2, verdict.FirstBadSeq);
        Assert.Contains("record 2 is missing (deleted)", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenTheNewestRecordIsDeleted_NamesIt(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        await h.ExecuteAsync("DELETE FROM audit_records WHERE tenant_id = @tenant AND seq = 5", new { tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(5, verdict.FirstBadSeq);
        Assert.Contains("missing from the end", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenTwoRecordsAreSwapped_NamesTheFirstOutOfPlace(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        // Swap the positions of records 2 and 3 (through a free number: the key is unique).
        await h.ExecuteAsync("UPDATE audit_records SET seq = 1000 WHERE tenant_id = @tenant AND seq = 2", new { tenant });
        await h.ExecuteAsync("UPDATE audit_records SET seq = 2 WHERE tenant_id = @tenant AND seq = 3", new { tenant });
        await h.ExecuteAsync("UPDATE audit_records SET seq = 3 WHERE tenant_id = @tenant AND seq = 1000", new { tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(2, verdict.FirstBadSeq);
        Assert.Contains("reordered", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_EachTenantsChainStandsAlone(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        var other = AuditHarness.Tenant();
        await h.Trail.AppendAsync(h.Record(other), default);
        await h.ExecuteAsync("UPDATE audit_records SET status = 500 WHERE tenant_id = @tenant AND seq = 1", new { tenant });

        var verdicts = await h.Verifier.VerifyAsync(null, default);

        Assert.Equal(1, verdicts.Single(v => v.TenantId == tenant).FirstBadSeq);
        Assert.True(verdicts.Single(v => v.TenantId == other).IsIntact);
    }

    /// <summary>
    /// The attack an unkeyed chain cannot see (decision 0017): edit a record, then recompute the plain SHA-256 chain from
    /// it to the end and move the head, all with database write access alone.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenARecordIsEditedAndThePlainChainRecomputed_NamesThatRecord(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        var hash = (await h.Reader.FindAsync(tenant, 2, default))!.Hash;
        for (long seq = 3; seq <= 5; seq++)
        {
            var record = (await h.Reader.FindAsync(tenant, seq, default))!.Record;
            if (seq == 3) record = record with { ActorId = "someone-else" };
            var next = AuditHash.Compute(record, seq, hash);
            await h.ExecuteAsync("UPDATE audit_records SET actor_id = @ActorId, prev_hash = @hash, hash = @next WHERE tenant_id = @tenant AND seq = @seq",
                new { record.ActorId, hash, next, tenant, seq });
            hash = next;
        }
        await h.ExecuteAsync("UPDATE audit_chain_heads SET last_hash = @hash WHERE tenant_id = @tenant", new { hash, tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(3, verdict.FirstBadSeq);
        Assert.Contains("record 3 was edited", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenTheWholeChainIsRehashedPlain_Fails(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        var hash = AuditHash.Genesis;
        for (long seq = 1; seq <= 5; seq++)
        {
            var record = (await h.Reader.FindAsync(tenant, seq, default))!.Record;
            var next = AuditHash.Compute(record, seq, hash);
            await h.ExecuteAsync("UPDATE audit_records SET prev_hash = @hash, hash = @next WHERE tenant_id = @tenant AND seq = @seq", new { hash, next, tenant, seq });
            hash = next;
        }
        await h.ExecuteAsync("UPDATE audit_chain_heads SET last_hash = @hash WHERE tenant_id = @tenant", new { hash, tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(1, verdict.FirstBadSeq);
        Assert.Contains("unkeyed", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_WhenARecordIsHashedUnderAnotherKey_NamesIt(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        // A key of the same id that is not the server's: the HMAC does not match.
        var stranger = new AuditKeys(new MasterKeyRing(MasterKey.Generate(h.Keys.Active.Id)));
        var row = (await h.Reader.FindAsync(tenant, 4, default))!;
        var hash = AuditHash.Compute(row.Record with { Detail = "nothing to see" }, 4, row.PrevHash, stranger.Active);
        await h.ExecuteAsync("UPDATE audit_records SET detail = 'nothing to see', hash = @hash WHERE tenant_id = @tenant AND seq = 4", new { hash, tenant });

        var verdict = await h.VerifyAsync(tenant);

        Assert.Equal(4, verdict.FirstBadSeq);
        Assert.Contains("record 4 was edited", verdict.Problem, StringComparison.Ordinal);
    }

    /// <summary>A chain written before keyed hashing: the marker seals it, later records are keyed, and both verify.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Verify_AnUnkeyedChainSealedByTheMarker_Passes_AndAnEditBeforeItIsFound(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        var tenant = AuditHarness.Tenant();
        // Three records as the server wrote them before the upgrade: plain SHA-256, no key id.
        var hash = AuditHash.Genesis;
        await h.ExecuteAsync("INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash, anchor_seq, anchor_hash) VALUES (@tenant, 0, @hash, 0, @hash)", new { tenant, hash });
        for (long seq = 1; seq <= 3; seq++)
        {
            var record = h.Record(tenant, entities: $"Patient/{seq}");
            var next = AuditHash.Compute(record, seq, hash);
            await h.ExecuteAsync("""
                INSERT INTO audit_records (tenant_id, seq, recorded_at, action, outcome, status, actor_kind, actor_id, actor_role, source_ip, user_agent, entities, query, detail, prev_hash, hash)
                VALUES (@TenantId, @seq, @RecordedAt, @Action, @Outcome, @Status, @ActorKind, @ActorId, @ActorRole, @SourceIp, @UserAgent, @entities, @Query, @Detail, @hash, @next)
                """, new { record.TenantId, seq, record.RecordedAt, record.Action, record.Outcome, record.Status, record.ActorKind, record.ActorId, record.ActorRole,
                    record.SourceIp, record.UserAgent, entities = $"[\"Patient/{seq}\"]", record.Query, record.Detail, hash, next });
            hash = next;
        }
        await h.ExecuteAsync("UPDATE audit_chain_heads SET last_seq = 3, last_hash = @hash WHERE tenant_id = @tenant", new { hash, tenant });
        var unsealed = await h.VerifyAsync(tenant);
        Assert.Equal(1, unsealed.FirstBadSeq);

        Assert.Equal(1, await h.Trail.SealUnkeyedChainsAsync(h.Clock, default));
        await h.Trail.AppendAsync(h.Record(tenant, entities: "Patient/4"), default);

        var marker = (await h.Reader.FindAsync(tenant, 4, default))!;
        Assert.Equal(("key-rotation", "carevault"), (marker.Record.Action, marker.Record.ActorId));
        Assert.Equal(h.Keys.Active.Id, AuditHash.KeyIdOf(marker.Hash));
        Assert.Equal(h.Keys.Active.Id, AuditHash.KeyIdOf((await h.Reader.FindAsync(tenant, 5, default))!.Hash));
        Assert.True((await h.VerifyAsync(tenant)).IsIntact);
        Assert.Equal(0, await h.Trail.SealUnkeyedChainsAsync(h.Clock, default));

        // The old attack on the unkeyed part: edit record 2 and recompute the plain chain up to the marker.
        var prev = (await h.Reader.FindAsync(tenant, 1, default))!.Hash;
        for (long seq = 2; seq <= 3; seq++)
        {
            var record = (await h.Reader.FindAsync(tenant, seq, default))!.Record;
            if (seq == 2) record = record with { Status = 500 };
            var next = AuditHash.Compute(record, seq, prev);
            await h.ExecuteAsync("UPDATE audit_records SET status = @Status, prev_hash = @prev, hash = @next WHERE tenant_id = @tenant AND seq = @seq",
                new { record.Status, prev, next, tenant, seq });
            prev = next;
        }
        var verdict = await h.VerifyAsync(tenant);
        Assert.Equal(4, verdict.FirstBadSeq);
        Assert.Contains("does not follow record 3", verdict.Problem, StringComparison.Ordinal);
    }
}
