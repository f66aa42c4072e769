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
    public async Task Verify_WhenARecordIsEditedAndRehashed_NamesTheNextRecord(DatabaseProvider provider)
    {
        var (h, tenant) = await ChainOfFiveAsync(provider);
        await using var _ = h;
        var forged = h.Record(tenant, actor: "someone-else", entities: "Patient/3");
        var reader = await h.Reader.FindAsync(tenant, 3, default);
        var hash = Carevault.Audit.Trail.AuditHash.Compute(forged with { RecordedAt = reader!.Record.RecordedAt }, 3, reader.PrevHash);
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
}
