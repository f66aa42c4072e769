using System.Text;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Records.Tests.Store;

/// <summary>Work joined to a store transaction commits with its writes or not at all.</summary>
public sealed class BeforeCommitTests
{
    static TransactionWrite NewPatient(ResourceStore store) =>
        new("POST", "Patient", store.NewId(), Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"family":"Hook"}]}"""), null);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Hook_SeesTheWrites_AndItsOwnStatementsCommitWithThem(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var write = NewPatient(h.Store);
        IReadOnlyList<StoredResource>? seen = null;

        var result = await h.Store.TransactionAsync(tenant, [write], default, async (connection, transaction, written, ct) =>
        {
            seen = written;
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO system_state (key, value) VALUES (@key, 'done')", new { key = "hook-" + tenant }, transaction, cancellationToken: ct));
            return null;
        });

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(write.Id, Assert.Single(seen!).Id);
        await using var connection = await h.Db.OpenAsync(default);
        Assert.Equal("done", await connection.ExecuteScalarAsync<string>("SELECT value FROM system_state WHERE key = @key", new { key = "hook-" + tenant }));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task HookError_RollsBackTheWrites(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var write = NewPatient(h.Store);

        var result = await h.Store.TransactionAsync(tenant, [write], default,
            (_, _, _, _) => Task.FromResult<RecordError?>(new RecordError(RecordErrorKind.PreconditionFailed, "conflict", "The job was cancelled.")));

        Assert.Equal("The job was cancelled.", result.Error?.Message);
        Assert.Equal(RecordErrorKind.NotFound, (await h.Store.ReadAsync(tenant, "Patient", write.Id, default)).Error?.Kind);
    }
}
