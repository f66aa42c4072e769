using System.Data.Common;
using System.Threading.Channels;
using Carevault.Storage.Database;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Carevault.Audit.Trail;

/// <summary>
/// The one way records enter the trail. <see cref="AppendAsync(AuditRecord, CancellationToken)"/> group-commits: one
/// writer loop per process takes every record waiting, appends them all in one transaction, and completes the waiting
/// calls after the commit — so a record is durable before its caller answers, and one fsync covers a whole batch.
/// <see cref="AppendAsync(DbConnection, DbTransaction, AuditRecord, CancellationToken)"/> joins a caller's
/// transaction instead, so the record commits with the caller's writes or not at all. See decision 0012.
/// </summary>
public sealed partial class AuditTrail : IAsyncDisposable
{
    /// <summary>At most this many records per transaction: bounds the time the chain heads stay locked.</summary>
    internal const int MaxBatch = 256;

    readonly Db _db;
    readonly AuditKeys _keys;
    readonly ILogger<AuditTrail> _logger;
    readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly Task _writer;

    sealed record Pending(AuditRecord Record, TaskCompletionSource<ChainedAuditRecord> Done);

    public AuditTrail(Db db, AuditKeys keys, ILogger<AuditTrail> logger)
    {
        _db = db;
        _keys = keys;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Appends the record; completes once it is committed (throws when it could not be).</summary>
    public Task<ChainedAuditRecord> AppendAsync(AuditRecord record, CancellationToken ct)
    {
        var pending = new Pending(record, new TaskCompletionSource<ChainedAuditRecord>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException("The audit trail is shut down.");
        // Cancelling the wait does not withdraw the record: it is written anyway (the action may have happened).
        return pending.Done.Task.WaitAsync(ct);
    }

    /// <summary>Appends inside the caller's transaction: the record commits with the caller's writes or not at all.</summary>
    public async Task<ChainedAuditRecord> AppendAsync(DbConnection connection, DbTransaction transaction, AuditRecord record, CancellationToken ct) =>
        (await AuditChain.AppendAsync(connection, transaction, _db.Dialect, _keys, [record], ct))[0];

    async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            try
            {
                var written = await WriteBatchAsync(batch.Select(p => p.Record).ToList());
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(written[i]);
            }
            catch (Exception exception)
            {
                LogBatchFailed(_logger, exception, batch.Count);
                foreach (var pending in batch) pending.Done.TrySetException(exception);
            }
            batch.Clear();
        }
    }

    // Not cancellable: the requests waiting on this batch may already have acted.
    Task<IReadOnlyList<ChainedAuditRecord>> WriteBatchAsync(IReadOnlyList<AuditRecord> records) =>
        _db.WriteAsync(async (connection, transaction, _) =>
            (await AuditChain.AppendAsync(connection, transaction, _db.Dialect, _keys, records, CancellationToken.None), true), CancellationToken.None);

    /// <summary>
    /// Marks where keyed hashing begins on every chain that still ends in unkeyed records (decision 0017), so that an
    /// idle tenant's chain verifies after the upgrade too. Returns how many chains it marked.
    /// </summary>
    public async Task<int> SealUnkeyedChainsAsync(TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(clock);
        IReadOnlyList<string> tenants;
        await using (var connection = await _db.OpenAsync(ct))
        {
            tenants = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT tenant_id FROM audit_chain_heads WHERE last_seq > 0 AND last_hash NOT LIKE 'hmac-sha256:%' ORDER BY tenant_id", cancellationToken: ct))).AsList();
        }
        var sealedChains = 0;
        foreach (var tenant in tenants)
        {
            if (await _db.WriteAsync(async (connection, transaction, ct) =>
                    (await AuditChain.SealAsync(connection, transaction, _db.Dialect, _keys, tenant, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct), true), ct))
                sealedChains++;
        }
        return sealedChains;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    // Counts only: records hold identifiers and queries, which never go to logs.
    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write a batch of {Count} audit records; their requests fail")]
    static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}
