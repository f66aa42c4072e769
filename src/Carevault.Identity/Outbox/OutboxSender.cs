using System.Data.Common;
using System.Text;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Identity.Outbox;

/// <summary>
/// Delivers queued email. Each round claims a batch of due messages (a message with a <c>not_before</c> time waits for it) by moving their <c>next_attempt_at</c> a lease
/// ahead and counting the attempt — on PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>, so several instances share the
/// queue without sending a message twice; SQLite serialises writers (one process). Sending happens outside any
/// transaction; then the message is marked sent (body emptied) or rescheduled with a growing delay.
/// A crash between sending and marking sends again after the lease: delivery is at least once.
/// Logs carry message ids, kinds and error codes — never recipients, subjects or bodies.
/// </summary>
public sealed partial class OutboxSender(Db db, MasterKeys masterKeys, IEmailSink sink, EmailOptions options, TimeProvider clock, ILogger<OutboxSender> logger)
    : BackgroundService
{
    /// <summary>How long a claimed message stays with its claimant before another round may take it again.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);

    sealed record Claimed(string Id, string TenantId, string Kind, string Recipient, string Subject, byte[] Body, long CreatedAt, long Attempts);

    /// <summary>Delay before the next attempt after <paramref name="attempts"/> failures: 30 s × 2^(n−1), at most 1 hour.</summary>
    public static TimeSpan RetryDelay(int attempts)
    {
        var delay = TimeSpan.FromSeconds(30) * Math.Pow(2, Math.Clamp(attempts - 1, 0, 16));
        return delay > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : delay;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await SendDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (DbException e)
            {
                // A database outage: keep polling, it may come back. Only the type is logged: a provider's message can
                // quote row values.
                LogPollFailed(logger, e.GetType().Name);
            }
            try
            {
                if (claimed < options.BatchSize) await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs one round: claims up to a batch of due messages and tries each once. Returns how many it claimed.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var skipLocked = db.Provider == DatabaseProvider.Postgres ? "FOR UPDATE SKIP LOCKED" : "";
        var batch = await db.WriteAsync(async (connection, transaction, ct) =>
        {
            var claimed = (await connection.QueryAsync<Claimed>(new CommandDefinition($"""
                UPDATE outbox_messages SET attempts = attempts + 1, next_attempt_at = @leaseUntil
                WHERE id IN (SELECT id FROM outbox_messages
                             WHERE sent_at IS NULL AND next_attempt_at <= @now AND not_before <= @now AND attempts < @max
                             ORDER BY next_attempt_at LIMIT @batch {skipLocked})
                RETURNING id AS Id, tenant_id AS TenantId, kind AS Kind, recipient AS Recipient, subject AS Subject, body AS Body,
                          created_at AS CreatedAt, attempts AS Attempts
                """, new { leaseUntil = (now + Lease).ToUnixTimeMilliseconds(), now = now.ToUnixTimeMilliseconds(), max = options.MaxAttempts, batch = options.BatchSize },
                transaction, cancellationToken: ct))).ToList();
            return (claimed, true);
        }, ct);
        foreach (var message in batch) await SendOneAsync(message, ct);
        return batch.Count;
    }

    async Task SendOneAsync(Claimed message, CancellationToken ct)
    {
        string? error = null;
        var permanent = false;
        try
        {
            var body = Encoding.UTF8.GetString(await masterKeys.UnsealAsync(message.Body, ct));
            await sink.SendAsync(new EmailMessage(message.Id, options.From, message.Recipient, message.Subject, body,
                DateTimeOffset.FromUnixTimeMilliseconds(message.CreatedAt)), ct);
        }
        catch (EmailDeliveryException e)
        {
            (error, permanent) = (e.Code, e.Permanent);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Any other failure of one message (a sink's bug, an unreadable seal) must neither stop the others nor,
            // escaping ExecuteAsync, stop the host: it is recorded by type like a delivery error and retried.
            error = "error_" + e.GetType().Name;
        }

        var now = clock.GetUtcNow();
        if (error is null)
        {
            await db.ExecuteAsync("UPDATE outbox_messages SET sent_at = @now, last_error = NULL, body = @empty WHERE id = @Id",
                new { now = now.ToUnixTimeMilliseconds(), empty = Array.Empty<byte>(), message.Id }, ct);
            LogSent(logger, message.Id, message.Kind, message.Attempts);
            return;
        }
        var attempts = permanent ? options.MaxAttempts : (int)message.Attempts;
        var next = now + RetryDelay((int)message.Attempts);
        await db.ExecuteAsync("UPDATE outbox_messages SET attempts = @attempts, next_attempt_at = @next, last_error = @error WHERE id = @Id",
            new { attempts, next = next.ToUnixTimeMilliseconds(), error, message.Id }, ct);
        if (attempts >= options.MaxAttempts) LogGaveUp(logger, message.Id, message.Kind, attempts, error);
        else LogFailed(logger, message.Id, message.Kind, attempts, error, next);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent outbox message {MessageId} ({Kind}) on attempt {Attempt}")]
    static partial void LogSent(ILogger logger, string messageId, string kind, long attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {MessageId} ({Kind}) failed attempt {Attempt}: {ErrorCode}; next attempt at {NextAttempt}")]
    static partial void LogFailed(ILogger logger, string messageId, string kind, int attempt, string errorCode, DateTimeOffset nextAttempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox message {MessageId} ({Kind}) abandoned after {Attempts} attempts: {ErrorCode}")]
    static partial void LogGaveUp(ILogger logger, string messageId, string kind, int attempts, string errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox poll failed: {ExceptionType}")]
    static partial void LogPollFailed(ILogger logger, string exceptionType);
}
