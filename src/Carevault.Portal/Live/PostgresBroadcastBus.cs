using System.Data.Common;
using System.Text.Json;
using Carevault.Storage.Database;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Carevault.Portal.Live;

/// <summary>
/// Several server instances on one PostgreSQL database: a notice is <c>pg_notify</c>'d on <see cref="Channel"/>, and
/// every instance with live connections holds one pooled connection in <c>LISTEN</c> and hands what arrives to its
/// connections of that tenant — its own notices included, so there is exactly one path. The listener starts with the
/// first subscription and reconnects after an outage; notices published while it is down are lost (pages read the
/// current state on load). PostgreSQL limits a payload to 8000 bytes (<see cref="IBroadcastBus.MaxDataLength"/>).
/// </summary>
public sealed partial class PostgresBroadcastBus(Db db, ILogger<PostgresBroadcastBus> logger) : IBroadcastBus, IAsyncDisposable
{
    public const string Channel = "carevault_broadcast";

    /// <summary>How long the listener waits for a notification before checking its connection is still alive.</summary>
    static readonly TimeSpan Ping = TimeSpan.FromSeconds(30);

    readonly LocalFanOut _local = new();
    readonly CancellationTokenSource _stop = new();
    readonly Lock _startLock = new();
    readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Task? _listener;

    sealed record Envelope(string T, string K, string D);

    public async Task PublishAsync(BroadcastMessage message, CancellationToken ct)
    {
        LocalFanOut.Check(message);
        var payload = JsonSerializer.Serialize(new Envelope(message.TenantId, message.Topic, message.Data));
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@channel, @payload)", new { channel = Channel, payload }, cancellationToken: ct));
    }

    public async Task<BroadcastSubscription> SubscribeAsync(string tenantId, CancellationToken ct)
    {
        var subscription = _local.Add(tenantId);
        lock (_startLock) _listener ??= Task.Run(() => ListenAsync(_stop.Token), CancellationToken.None);
        try
        {
            // Once LISTEN has run, every later notice reaches this subscription.
            await _listening.Task.WaitAsync(ct);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
        return subscription;
    }

    async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = (NpgsqlConnection)await db.OpenAsync(stop);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand("LISTEN " + Channel, connection)) await listen.ExecuteNonQueryAsync(stop);
                _listening.TrySetResult();
                while (true)
                {
                    // No notification for a while: a round trip proves the connection alive (a silently dropped one
                    // would otherwise wait forever) and throws when it is not, so the loop reconnects.
                    if (!await connection.WaitAsync((int)Ping.TotalMilliseconds, stop))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stop);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or IOException or TimeoutException or InvalidOperationException)
            {
                LogListenFailed(logger, e.GetType().Name);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    void OnNotification(object sender, NpgsqlNotificationEventArgs args)
    {
        if (args.Channel != Channel) return;
        Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<Envelope>(args.Payload);
        }
        catch (JsonException)
        {
            // Anyone with database access can NOTIFY: an unreadable payload is dropped, never delivered.
            return;
        }
        if (envelope is { T.Length: > 0, K.Length: > 0, D: not null }) _local.Deliver(new BroadcastMessage(envelope.T, envelope.K, envelope.D));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_listener is { } listener) await listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The live-notice listener lost its database connection ({ExceptionType}); reconnecting")]
    static partial void LogListenFailed(ILogger logger, string exceptionType);
}
