using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Storage.Tests.Database;

/// <summary>
/// <see cref="Db.WriteAsync{T}"/>: the work's writes are kept only when it says so, on both engines; on SQLite units
/// waiting together share one transaction (group commit) and each unit's failure or undo leaves the others intact.
/// </summary>
public sealed class WriteAsyncTests
{
    static async Task<(TestDatabase Database, Db Db)> OpenAsync(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var db = database.OpenDb();
        await db.ExecuteAsync("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)", null, default);
        return (database, db);
    }

    static Task<int> InsertAsync(Db db, int id, bool commit) =>
        db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO notes (id, text) VALUES (@id, 'n')", new { id }, transaction, cancellationToken: ct));
            return (id, commit);
        }, default);

    static async Task<List<int>> IdsAsync(Db db)
    {
        await using var connection = await db.OpenAsync(default);
        return [.. await connection.QueryAsync<int>("SELECT id FROM notes ORDER BY id")];
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task WriteAsync_KeepsWhatCommits_UndoesWhatDoesNot_AndAThrowingUnitStoresNothing(DatabaseProvider provider)
    {
        var (database, db) = await OpenAsync(provider);
        await using var _ = database;
        await using var __ = db;

        Assert.Equal(1, await InsertAsync(db, 1, commit: true));
        Assert.Equal(2, await InsertAsync(db, 2, commit: false));
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync<int>(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO notes (id, text) VALUES (3, 'n')", transaction: transaction, cancellationToken: ct));
            throw new InvalidOperationException("half-way");
        }, default));

        Assert.Equal([1], await IdsAsync(db));
    }

    [Fact]
    public async Task WriteAsync_OnSqlite_UnitsWaitingTogether_ShareOneCommit_AndEachFailureStaysItsOwn()
    {
        var (database, db) = await OpenAsync(DatabaseProvider.Sqlite);
        await using var _ = database;
        await using var __ = db;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first unit holds the writer until the others are queued behind it.
        var first = db.WriteAsync(async (connection, transaction, ct) =>
        {
            started.SetResult();
            await gate.Task;
            return (0, true);
        }, default);
        await started.Task;
        var before = Interlocked.Read(ref db.GroupCommits);
        var kept = Enumerable.Range(1, 50).Select(i => InsertAsync(db, i, commit: i % 10 != 0)).ToList();
        var duplicate = InsertAsync(db, 1, commit: true); // primary key violation: fails alone
        gate.SetResult();

        await first;
        Assert.Equal(Enumerable.Range(1, 50), await Task.WhenAll(kept));
        await Assert.ThrowsAnyAsync<Exception>(() => duplicate);
        Assert.Equal(Enumerable.Range(1, 50).Where(i => i % 10 != 0), await IdsAsync(db));
        // 52 units in one transaction (the 51 join the first one's when it is released within the writer's 200 ms hold
        // limit), or a few on a loaded machine — never one each.
        Assert.InRange(Interlocked.Read(ref db.GroupCommits) - before, 1, 5);
    }

    [Fact]
    public async Task WriteAsync_StartedInsideAGroupCommittedWrite_FailsInsteadOfWaitingForItself()
    {
        var (database, db) = await OpenAsync(DatabaseProvider.Sqlite);
        await using var _ = database;
        await using var __ = db;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync<int>(async (connection, transaction, ct) =>
        {
            await InsertAsync(db, 7, commit: true);
            return (0, true);
        }, default));

        Assert.Contains("wait for itself", error.Message, StringComparison.Ordinal);
        Assert.Empty(await IdsAsync(db));
    }

    [Fact]
    public async Task OpenAsync_OnSqlite_GivesAConnectionThatRefusesWrites_SoEveryWriteGoesThroughTheWriter()
    {
        var (database, db) = await OpenAsync(DatabaseProvider.Sqlite);
        await using var _ = database;
        await using var __ = db;

        await using (var connection = await db.OpenAsync(default))
        {
            var error = await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => connection.ExecuteAsync("INSERT INTO notes (id, text) VALUES (1, 'n')"));
            Assert.Equal(8, error.SqliteErrorCode); // SQLITE_READONLY: "attempt to write a readonly database"
        }
        Assert.Equal(1, await db.ExecuteAsync("INSERT INTO notes (id, text) VALUES (2, 'n')", null, default));
        Assert.Equal([2], await IdsAsync(db));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task WriteAsync_ASteadyStreamOfWrites_DoesNotStarveOneThatArrivesLate(DatabaseProvider provider)
    {
        // Before every write went through the writer, a statement on its own connection polled for SQLite's lock
        // while the writer loop took it back between batches, and gave up after the busy timeout.
        var (database, db) = await OpenAsync(provider);
        await using var _ = database;
        await using var __ = db;
        using var flood = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var next = 1000;
        var writers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            var written = 0;
            while (!flood.IsCancellationRequested)
            {
                await InsertAsync(db, Interlocked.Increment(ref next), commit: true);
                written++;
            }
            return written;
        })).ToList();
        while (Volatile.Read(ref next) < 1200) await Task.Delay(10);

        var late = await db.ExecuteAsync("INSERT INTO notes (id, text) VALUES (1, 'late')", null, default);
        var floodStillRunning = !flood.IsCancellationRequested;
        await flood.CancelAsync();
        var floodWrites = (await Task.WhenAll(writers)).Sum();

        Assert.Equal(1, late);
        Assert.True(floodStillRunning, "the late write finished only once the stream of writes had stopped");
        Assert.Equal(floodWrites + 1, (await IdsAsync(db)).Count);
    }
}
