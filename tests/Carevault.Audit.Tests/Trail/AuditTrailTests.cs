using Carevault.Audit.Trail;
using Carevault.Storage;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Audit.Tests.Trail;

public sealed class AuditTrailTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AppendAsync_ConcurrentCallers_GetOneGaplessChainPerTenant(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        var (a, b) = (AuditHarness.Tenant(), AuditHarness.Tenant());

        var written = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            h.Trail.AppendAsync(h.Record(i % 2 == 0 ? a : b, entities: $"Patient/{i}"), default)));

        foreach (var tenant in new[] { a, b })
        {
            var seqs = written.Where(w => w.Record.TenantId == tenant).Select(w => w.Seq).Order().ToList();
            Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), seqs);
            var verdict = await h.VerifyAsync(tenant);
            Assert.True(verdict.IsIntact, verdict.Problem);
            Assert.Equal(100, verdict.Records);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AppendAsync_StoresEveryField_AndLinksToThePreviousHash(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        var tenant = AuditHarness.Tenant();
        var first = await h.Trail.AppendAsync(h.Record(tenant, entities: "Patient/1"), default);
        var second = await h.Trail.AppendAsync(h.Record(tenant, action: "search", status: 403, actor: "client-2", "Observation/9", "Observation/8"), default);

        Assert.Equal(AuditHash.Genesis, first.PrevHash);
        Assert.Equal(first.Hash, second.PrevHash);
        var stored = await h.Reader.FindAsync(tenant, 2, default);
        Assert.NotNull(stored);
        var r = stored.Record;
        Assert.Equal((tenant, "search", 403, AuditOutcomes.Failure), (r.TenantId, r.Action, r.Status, r.Outcome));
        Assert.Equal(("client", "client-2", "10.0.0.7", "lis/1.0"), (r.ActorKind, r.ActorId, r.SourceIp, r.UserAgent));
        Assert.Equal(["Observation/9", "Observation/8"], r.Entities);
        Assert.Equal("subject=Patient/1&code=1234-5", r.Query);
        Assert.Equal(h.Clock.GetUtcNow().ToUnixTimeMilliseconds(), r.RecordedAt);
        Assert.Equal((2L, first.Hash, second.Hash), (stored.Seq, stored.PrevHash, stored.Hash));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AppendAsync_InCallersTransaction_CommitsOrRollsBackWithIt(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        var tenant = AuditHarness.Tenant();
        await h.Trail.AppendAsync(h.Record(tenant), default);

        await h.Db.WriteAsync(async (connection, transaction, ct) =>
            (await h.Trail.AppendAsync(connection, transaction, h.Record(tenant, action: "create"), ct), false), default);
        Assert.Null(await h.Reader.FindAsync(tenant, 2, default));
        Assert.True((await h.VerifyAsync(tenant)).IsIntact);

        var joined = await h.Db.WriteAsync(async (connection, transaction, ct) =>
            (await h.Trail.AppendAsync(connection, transaction, h.Record(tenant, action: "create"), ct), true), default);
        Assert.Equal(2, joined.Seq);
        var verdict = await h.VerifyAsync(tenant);
        Assert.True(verdict.IsIntact, verdict.Problem);
        Assert.Equal(2, verdict.Records);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AppendAsync_TwoWritersOnOneDatabase_TakeTurnsOnTheChainHead(DatabaseProvider provider)
    {
        // Two trails are two server processes' writer loops sharing the database.
        await using var h = await AuditHarness.CreateAsync(provider);
        await using var other = new AuditTrail(h.Db, h.Keys, NullLogger<AuditTrail>.Instance);
        var tenant = AuditHarness.Tenant();

        await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
            (i % 2 == 0 ? h.Trail : other).AppendAsync(h.Record(tenant, entities: $"Patient/{i}"), default)));

        var verdict = await h.VerifyAsync(tenant);
        Assert.True(verdict.IsIntact, verdict.Problem);
        Assert.Equal(120, verdict.Records);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AppendAsync_WhenTheDatabaseFails_Throws(DatabaseProvider provider)
    {
        await using var h = await AuditHarness.CreateAsync(provider);
        await h.ExecuteAsync("DROP TABLE audit_entities");

        await Assert.ThrowsAnyAsync<Exception>(() => h.Trail.AppendAsync(h.Record(AuditHarness.Tenant(), entities: "Patient/1"), default));
        await using var connection = await h.Db.OpenAsync(default);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_records"));
    }
}
