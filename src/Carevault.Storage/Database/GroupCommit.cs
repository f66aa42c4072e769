using System.Data.Common;
using System.Threading.Channels;

namespace Carevault.Storage.Database;

/// <summary>
/// SQLite's write path (decision 0003): one writer loop takes every unit of work waiting, runs each inside its own
/// savepoint of one transaction, and commits once — one fsync for the whole batch — before any caller whose work was
/// kept is answered. A unit that throws or asks to be undone is rolled back to its savepoint and does not touch the
/// others. SQLite admits one writer at a time anyway; batching turns that queue into throughput.
/// </summary>
sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>At most this many units per transaction: bounds how long the write lock is held.</summary>
    internal const int MaxBatch = 128;

    /// <summary>True inside the writer loop: a unit that starts another write of this database would wait for itself.</summary>
    internal static readonly AsyncLocal<bool> InsideWriter = new();

    readonly Channel<IUnit> _queue = Channel.CreateUnbounded<IUnit>(new UnboundedChannelOptions { SingleReader = true });
    readonly Lazy<Task> _loop;

    public GroupCommit(Db db) => _loop = new(() =>
    {
        // The loop must not inherit the first caller's ambient (async-local) state: a unit sees only what it captured.
        using (ExecutionContext.SuppressFlow()) return Task.Run(() => new GroupCommitLoop(db).RunAsync(_queue.Reader));
    });

    internal interface IUnit
    {
        CancellationToken Cancellation { get; }

        /// <summary>Runs the work; true to keep its writes.</summary>
        Task<bool> RunAsync(DbConnection connection, DbTransaction transaction);

        /// <summary>After the commit (kept) or right after the rollback to its savepoint (undone).</summary>
        void Complete();

        void Fail(Exception exception);
    }

    public Task<T> RunAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<(T Value, bool Commit)>> work, CancellationToken ct)
    {
        if (InsideWriter.Value)
            throw new InvalidOperationException("A write started inside a group-committed write would wait for itself: use the connection and transaction it was given.");
        var unit = new Unit<T>(work, ct);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(unit), typeof(Db));
        _ = _loop.Value;
        return unit.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop.IsValueCreated) await _loop.Value;
    }

    sealed class Unit<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<(T Value, bool Commit)>> work, CancellationToken ct) : IUnit
    {
        T _value = default!;

        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationToken Cancellation => ct;

        public async Task<bool> RunAsync(DbConnection connection, DbTransaction transaction)
        {
            (_value, var commit) = await work(connection, transaction, ct);
            return commit;
        }

        public void Complete() => Done.TrySetResult(_value);

        public void Fail(Exception exception) => Done.TrySetException(exception);
    }
}

sealed class GroupCommitLoop(Db db)
{
    const string Savepoint = "unit";

    /// <summary>No unit joins a transaction that has run this long: other writers (the audit trail) wait for the lock.</summary>
    static readonly TimeSpan MaxHold = TimeSpan.FromMilliseconds(200);

    public async Task RunAsync(ChannelReader<GroupCommit.IUnit> queue)
    {
        GroupCommit.InsideWriter.Value = true;
        var ran = new List<GroupCommit.IUnit>(GroupCommit.MaxBatch);
        var kept = new List<GroupCommit.IUnit>(GroupCommit.MaxBatch);
        while (await queue.WaitToReadAsync())
        {
            ran.Clear();
            kept.Clear();
            try
            {
                // Not cancellable: the transaction belongs to many callers.
                await using var connection = await db.OpenAsync(writer: true, CancellationToken.None);
                await using var transaction = await connection.BeginTransactionAsync();
                var held = System.Diagnostics.Stopwatch.StartNew();
                while (ran.Count < GroupCommit.MaxBatch && (ran.Count == 0 || held.Elapsed < MaxHold) && queue.TryRead(out var unit))
                {
                    if (unit.Cancellation.IsCancellationRequested)
                    {
                        unit.Fail(new OperationCanceledException(unit.Cancellation));
                        continue;
                    }
                    ran.Add(unit);
                    await transaction.SaveAsync(Savepoint);
                    bool keep;
                    try
                    {
                        keep = await unit.RunAsync(connection, transaction);
                    }
                    catch (Exception exception)
                    {
                        await transaction.RollbackAsync(Savepoint);
                        await transaction.ReleaseAsync(Savepoint);
                        unit.Fail(exception);
                        continue;
                    }
                    if (keep)
                    {
                        await transaction.ReleaseAsync(Savepoint);
                        kept.Add(unit);
                    }
                    else
                    {
                        await transaction.RollbackAsync(Savepoint);
                        await transaction.ReleaseAsync(Savepoint);
                        unit.Complete();
                    }
                }
                if (kept.Count == 0) continue; // nothing to keep: disposing the transaction rolls it back
                await transaction.CommitAsync();
                Interlocked.Increment(ref db.GroupCommits);
                foreach (var unit in kept) unit.Complete();
            }
            catch (Exception exception)
            {
                // The transaction itself failed (disk full, I/O error, the lock not obtained): nothing of it is stored.
                // Units already answered (undone, failed alone) keep their answer.
                foreach (var unit in ran) unit.Fail(exception);
            }
        }
    }
}
