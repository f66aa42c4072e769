namespace Carevault.Ingestion.Jobs;

/// <summary>
/// Bytes that the worker loops of this process may hold in memory together. A loop reserves its file's size before
/// loading it and gives it back when the job ends; when the budget is spent, reservations wait their turn in arrival
/// order, so a large file is not starved by a stream of small ones. A reservation larger than the whole budget takes
/// all of it.
/// </summary>
public sealed class ByteBudget(long capacity)
{
    readonly object _gate = new();
    readonly LinkedList<(long Bytes, TaskCompletionSource Granted)> _waiting = new();
    long _available = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    public long Capacity { get; } = capacity;

    /// <summary>Bytes not reserved now.</summary>
    public long Available
    {
        get
        {
            lock (_gate) return _available;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/>; dispose the result to give them back.</summary>
    public async Task<IDisposable> ReserveAsync(long bytes, CancellationToken ct)
    {
        bytes = Math.Clamp(bytes, 0, Capacity);
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_gate)
        {
            if (_waiting.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return new Reservation(this, bytes);
            }
            node = _waiting.AddLast((bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }
        var granted = node.Value.Item2;
        await using (ct.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is null) return; // granted meanwhile: the caller gets it and gives it back
                _waiting.Remove(node);
                GrantWaiting();
            }
            granted.TrySetCanceled(ct);
        }))
        {
            await granted.Task;
        }
        return new Reservation(this, bytes);
    }

    void Release(long bytes)
    {
        lock (_gate)
        {
            _available += bytes;
            GrantWaiting();
        }
    }

    // Under _gate: the waiters at the head whose reservation now fits, in order.
    void GrantWaiting()
    {
        while (_waiting.First is { } first && first.Value.Bytes <= _available)
        {
            _waiting.RemoveFirst();
            _available -= first.Value.Bytes;
            first.Value.Granted.TrySetResult();
        }
    }

    sealed class Reservation(ByteBudget budget, long bytes) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(bytes);
        }
    }
}
