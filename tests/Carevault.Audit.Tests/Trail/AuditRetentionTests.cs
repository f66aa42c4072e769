using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Audit.Tests.Trail;

public sealed class AuditRetentionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Purge_DropsOldRecords_AndTheRestStillVerifies(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        var tenant = AuditHarness.Tenant();
        for (var i = 0; i < 3; i++) await h.Trail.AppendAsync(h.Record(tenant), default);
        h.Clock.Advance(TimeSpan.FromDays(40));
        for (var i = 0; i < 2; i++) await h.Trail.AppendAsync(h.Record(tenant), default);

        var purged = await h.Retention.PurgeAsync(TimeSpan.FromDays(30), default);

        Assert.Equal(3, purged);
        Assert.Null(await h.Reader.FindAsync(tenant, 3, default));
        Assert.NotNull(await h.Reader.FindAsync(tenant, 4, default));
        var verdict = await h.VerifyAsync(tenant);
        Assert.True(verdict.IsIntact, verdict.Problem);
        Assert.Equal(2, verdict.Records);

        // After the purge, a record removed from what remains is still detected.
        await h.Trail.AppendAsync(h.Record(tenant), default);
        await h.ExecuteAsync("DELETE FROM audit_records WHERE tenant_id = @tenant AND seq = 5", new { tenant });
        Assert.Equal(5, (await h.VerifyAsync(tenant)).FirstBadSeq);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Purge_WhenNothingIsOld_KeepsEverything(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        var tenant = AuditHarness.Tenant();
        await h.Trail.AppendAsync(h.Record(tenant), default);

        Assert.Equal(0, await h.Retention.PurgeAsync(TimeSpan.FromDays(30), default));
        Assert.Equal(1, (await h.VerifyAsync(tenant)).Records);
    }
}
