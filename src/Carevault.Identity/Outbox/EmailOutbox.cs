using System.Data.Common;
using System.Text;
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
}

/// <summary>
/// Queues email in the caller's transaction, so a message exists exactly when the change that causes it committed
/// (no mail for a rolled-back reset, no reset without its mail). <see cref="OutboxSender"/> delivers it later.
/// The body is sealed with the master key: it can hold a reset link or health data.
/// </summary>
public sealed class EmailOutbox(MasterKeys masterKeys, TimeProvider clock)
{
    /// <summary>Writes the message in <paramref name="transaction"/>; returns its id.</summary>
    public async Task<string> EnqueueAsync(DbTransaction transaction, OutgoingEmail email, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(email);
        var id = Guid.CreateVersion7().ToString("N");
        var body = await masterKeys.SealAsync(Encoding.UTF8.GetBytes(email.Body), ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await transaction.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (id, tenant_id, kind, recipient, subject, body, created_at, attempts, next_attempt_at)
            VALUES (@id, @TenantId, @Kind, @Recipient, @Subject, @body, @now, 0, @now)
            """, new { id, email.TenantId, email.Kind, email.Recipient, email.Subject, body, now }, transaction, cancellationToken: ct));
        return id;
    }
}
