using System.Data.Common;
using System.Text;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Dapper;

namespace Carevault.Identity.Outbox;

/// <summary>An email to queue. The subject must not carry health data or names: it is stored in the clear.</summary>
public sealed record OutgoingEmail
{
    public required string TenantId { get; init; }

    /// <summary>What the message is for (<c>password-reset</c>, <c>password-changed</c>); logged, never the contents.</summary>
    public required string Kind { get; init; }

    public required string Recipient { get; init; }
    public required string Subject { get; init; }
    public required string Body { get; init; }

    /// <summary>Not sent before this time (a reminder the day before); null: as soon as possible.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The account the message is for, when it is one person's (their notifications list shows it).</summary>
    public string? UserId { get; init; }

    /// <summary>What the message is about (<c>Appointment/{id}</c>): <see cref="EmailOutbox.WithdrawAsync"/> drops it while unsent. No health data.</summary>
    public string? Topic { get; init; }
}

/// <summary>A message as its recipient's notifications list shows it: no body (sealed, and emptied once sent).</summary>
public sealed record SentNotification(string Kind, string Subject, DateTimeOffset QueuedAt, DateTimeOffset? DueAt, DateTimeOffset? SentAt, bool GaveUp);

/// <summary>
/// Queues email in the caller's transaction, so a message exists exactly when the change that causes it committed
/// (no mail for a rolled-back reset, no reset without its mail). <see cref="OutboxSender"/> delivers it later.
/// The body is sealed with the master key: it can hold a reset link or health data.
/// </summary>
public sealed class EmailOutbox(Db db, MasterKeys masterKeys, EmailOptions options, TimeProvider clock)
{
    /// <summary>Writes the message in <paramref name="transaction"/>; returns its id.</summary>
    public async Task<string> EnqueueAsync(DbTransaction transaction, OutgoingEmail email, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(email);
        var id = Guid.CreateVersion7().ToString("N");
        var body = await masterKeys.SealAsync(Encoding.UTF8.GetBytes(email.Body), ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var notBefore = email.NotBefore?.ToUnixTimeMilliseconds() ?? 0;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (id, tenant_id, kind, recipient, subject, body, created_at, attempts, next_attempt_at, not_before, user_id, topic)
            VALUES (@id, @TenantId, @Kind, @Recipient, @Subject, @body, @now, 0, @next, @notBefore, @UserId, @Topic)
            """, new { id, email.TenantId, email.Kind, email.Recipient, email.Subject, body, now, next = Math.Max(now, notBefore), notBefore, email.UserId, email.Topic },
            transaction, cancellationToken: ct));
        return id;
    }

    /// <summary>
    /// Drops the tenant's unsent messages about <paramref name="topic"/> of <paramref name="kind"/> (a reminder for an
    /// appointment just cancelled), in the caller's transaction. A message already claimed by a sender may still go out.
    /// </summary>
    public static async Task<int> WithdrawAsync(DbTransaction transaction, string tenantId, string kind, string topic, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "DELETE FROM outbox_messages WHERE tenant_id = @tenantId AND topic = @topic AND kind = @kind AND sent_at IS NULL AND attempts = 0",
            new { tenantId, topic, kind }, transaction, cancellationToken: ct));
    }

    sealed record NotificationRow(string Kind, string Subject, long CreatedAt, long NotBefore, long? SentAt, long Attempts, string? LastError);

    /// <summary>The messages of these kinds queued for one account, newest first (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<SentNotification>> ForUserAsync(string tenantId, string userId, IReadOnlyCollection<string> kinds, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        if (kinds.Count == 0) return [];
        // One parameter per kind: Dapper would pass a list to Npgsql as an array, which "IN" does not take.
        var parameters = new DynamicParameters(new { tenantId, userId, limit });
        var names = new List<string>();
        foreach (var kind in kinds)
        {
            names.Add("@k" + names.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            parameters.Add(names[^1], kind);
        }
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<NotificationRow>(new CommandDefinition($"""
            SELECT kind AS Kind, subject AS Subject, created_at AS CreatedAt, not_before AS NotBefore, sent_at AS SentAt, attempts AS Attempts, last_error AS LastError
            FROM outbox_messages WHERE tenant_id = @tenantId AND user_id = @userId AND kind IN ({string.Join(", ", names)})
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """, parameters, cancellationToken: ct));
        return rows.Select(r => new SentNotification(r.Kind, r.Subject,
            DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt),
            r.NotBefore > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(r.NotBefore) : null,
            r.SentAt is { } sent ? DateTimeOffset.FromUnixTimeMilliseconds(sent) : null,
            r.SentAt is null && r.Attempts >= options.MaxAttempts)).ToList();
    }
}
