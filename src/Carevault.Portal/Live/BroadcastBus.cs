using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Carevault.Portal.Live;

/// <summary>A notice for every signed-in person of one tenant (a blood request opened or closed). No patient data.</summary>
/// <param name="Topic">What happened, e.g. <c>blood-request</c>; the event name the browser listens for.</param>
/// <param name="Data">The event's JSON, at most <see cref="IBroadcastBus.MaxDataLength"/> characters.</param>
public sealed record BroadcastMessage(string TenantId, string Topic, string Data);

/// <summary>
/// Fans notices out to every server instance's live connections (decision 0021): in-process on SQLite (one process), by
/// PostgreSQL <c>LISTEN/NOTIFY</c> across instances. Delivery is at most once and only to connections open when the
/// notice is published; a page loaded later reads the current state from the store, so nothing depends on the bus.
/// </summary>
public interface IBroadcastBus
{
    /// <summary>PostgreSQL's NOTIFY payload limit is 8000 bytes; the envelope and multi-byte characters need some room.</summary>
    const int MaxDataLength = 2000;

    Task PublishAsync(BroadcastMessage message, CancellationToken ct);

    /// <summary>Starts receiving one tenant's notices (returns once they are being received); dispose to stop.</summary>
    Task<BroadcastSubscription> SubscribeAsync(string tenantId, CancellationToken ct);
}

/// <summary>One live connection's queue of a tenant's notices. A slow reader loses the oldest, never blocks the others.</summary>
public sealed class BroadcastSubscription : IDisposable
{
    readonly Channel<BroadcastMessage> _channel = Channel.CreateBounded<BroadcastMessage>(new BoundedChannelOptions(64)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });
    readonly Action<BroadcastSubscription> _remove;

    internal BroadcastSubscription(string tenantId, Action<BroadcastSubscription> remove)
    {
        TenantId = tenantId;
        _remove = remove;
    }

    public string TenantId { get; }

    public ChannelReader<BroadcastMessage> Reader => _channel.Reader;

    internal void Offer(BroadcastMessage message) => _channel.Writer.TryWrite(message);

    public void Dispose()
    {
        _remove(this);
        _channel.Writer.TryComplete();
    }
}

/// <summary>The subscriptions of this process, and delivery to those of the message's tenant only.</summary>
internal sealed class LocalFanOut
{
    readonly ConcurrentDictionary<BroadcastSubscription, byte> _subscriptions = new();

    public int Count => _subscriptions.Count;

    public BroadcastSubscription Add(string tenantId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var subscription = new BroadcastSubscription(tenantId, s => _subscriptions.TryRemove(s, out _));
        _subscriptions.TryAdd(subscription, 0);
        return subscription;
    }

    public void Deliver(BroadcastMessage message)
    {
        foreach (var subscription in _subscriptions.Keys)
            if (string.Equals(subscription.TenantId, message.TenantId, StringComparison.Ordinal)) subscription.Offer(message);
    }

    public static void Check(BroadcastMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.TenantId);
        ArgumentException.ThrowIfNullOrEmpty(message.Topic);
        if (message.Data.Length > IBroadcastBus.MaxDataLength) throw new ArgumentException($"A notice's data is at most {IBroadcastBus.MaxDataLength} characters.", nameof(message));
    }
}

/// <summary>One process (SQLite): a notice reaches this process' connections directly.</summary>
public sealed class InProcessBroadcastBus : IBroadcastBus
{
    readonly LocalFanOut _local = new();

    public Task PublishAsync(BroadcastMessage message, CancellationToken ct)
    {
        LocalFanOut.Check(message);
        _local.Deliver(message);
        return Task.CompletedTask;
    }

    public Task<BroadcastSubscription> SubscribeAsync(string tenantId, CancellationToken ct) => Task.FromResult(_local.Add(tenantId));
}
