using System.Globalization;
using Carevault.Identity.Outbox;
using Carevault.Identity.Tokens;
using Carevault.Storage.Database;
using Dapper;
using Microsoft.Extensions.Configuration;

namespace Carevault.Identity.People;

/// <summary>How long an emailed reset link works: <c>PasswordReset:TokenLifetimeMinutes</c>, 30 by default (5–1440).</summary>
public sealed record PasswordResetOptions(TimeSpan TokenLifetime)
{
    /// <summary>At most this many unused, unexpired links per user at once: requests beyond it send nothing.</summary>
    public const int MaxOutstandingTokens = 3;

    /// <summary>
    /// Every request takes at least this long, so the extra work for a real account (sealing, a committed insert —
    /// an fsync on SQLite) does not tell an observer that the account exists.
    /// </summary>
    public static readonly TimeSpan MinimumRequestTime = TimeSpan.FromMilliseconds(300);

    public static PasswordResetOptions From(IConfiguration configuration)
    {
        var value = configuration["PasswordReset:TokenLifetimeMinutes"];
        if (string.IsNullOrWhiteSpace(value)) return new PasswordResetOptions(TimeSpan.FromMinutes(30));
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var minutes) || minutes is < 5 or > 1440)
            throw new InvalidOperationException("PasswordReset:TokenLifetimeMinutes must be a whole number from 5 to 1440.");
        return new PasswordResetOptions(TimeSpan.FromMinutes(minutes));
    }
}

/// <summary>The result of redeeming a reset link.</summary>
public enum PasswordResetOutcome
{
    Done,
    /// <summary>Unknown, expired, already used, or its user is disabled: one answer for all.</summary>
    InvalidToken,
    /// <summary>The token is good but the new password fails the policy; the token stays usable.</summary>
    WeakPassword,
}

/// <summary>
/// Password reset by an emailed, single-use, expiring link. The token is 256 random bits; only its SHA-256 is stored.
/// The request never reveals whether the account exists; the token and its email are written in one transaction
/// (outbox), so a link is sent exactly when it can work. Redeeming it sets the password, clears the lockout, ends all
/// the user's sessions and spends every other open link of that user. A TOTP second factor stays required.
/// </summary>
public sealed class PasswordReset(Db db, EmailOutbox outbox, TokenOptions tokens, PasswordResetOptions options, TimeProvider clock)
{
    sealed record Account(string Id, string TenantId, string Username, string? Email);

    /// <summary>Queues a reset email when the user exists, is active and has an email address; otherwise does nothing.</summary>
    public async Task RequestAsync(string tenantId, string username, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        await QueueIfEligibleAsync(tenantId, username, ct);
        var remaining = PasswordResetOptions.MinimumRequestTime - clock.GetElapsedTime(started);
        if (remaining > TimeSpan.Zero) await Task.Delay(remaining, clock, ct);
    }

    async Task QueueIfEligibleAsync(string tenantId, string username, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        Account? account;
        await using (var connection = await db.OpenAsync(ct))
            account = await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition("""
                SELECT u.id AS Id, u.tenant_id AS TenantId, u.username AS Username, u.email AS Email FROM users u
                WHERE u.tenant_id = @tenantId AND u.username = @username AND u.status = 'active' AND u.email IS NOT NULL
                  AND (SELECT count(*) FROM password_reset_tokens t WHERE t.user_id = u.id AND t.used_at IS NULL AND t.expires_at > @now) < @max
                """, new { tenantId, username, now = now.ToUnixTimeMilliseconds(), max = PasswordResetOptions.MaxOutstandingTokens }, cancellationToken: ct));
        if (account is null) return;

        var token = Tokens.RandomToken.New();
        var expires = now + options.TokenLifetime;
        var link = $"{tokens.Issuer}/reset-password?token={token}";
        var body = $"""
            Someone asked to reset the password of the Carevault account "{account.Username}".

            To choose a new password, open this link within {(int)options.TokenLifetime.TotalMinutes} minutes. It works once:

            {link}

            If you did not ask for this, ignore this message: your password stays as it is.
            """;
        await db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO password_reset_tokens (token_hash, tenant_id, user_id, created_at, expires_at)
                VALUES (@hash, @TenantId, @Id, @now, @expires)
                """, new { hash = Tokens.RandomToken.Hash(token), account.TenantId, account.Id, now = now.ToUnixTimeMilliseconds(), expires = expires.ToUnixTimeMilliseconds() },
                transaction, cancellationToken: ct));
            await outbox.EnqueueAsync(transaction, new OutgoingEmail
            {
                TenantId = account.TenantId,
                Kind = "password-reset",
                Recipient = account.Email!,
                Subject = "Reset your Carevault password",
                Body = body,
            }, ct);
            return (0, true);
        }, ct);
    }

    /// <summary>Redeems a reset token. On <see cref="PasswordResetOutcome.WeakPassword"/>, <paramref name="problem"/> says why.</summary>
    public async Task<(PasswordResetOutcome Outcome, string? Problem)> ConfirmAsync(string token, string newPassword, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(newPassword);
        if (token.Length is 0 or > 100) return (PasswordResetOutcome.InvalidToken, null);
        var hash = Tokens.RandomToken.Hash(token);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Account? account;
        await using (var connection = await db.OpenAsync(ct))
            account = await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition("""
                SELECT u.id AS Id, u.tenant_id AS TenantId, u.username AS Username, u.email AS Email
                FROM password_reset_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id
                WHERE t.token_hash = @hash AND t.used_at IS NULL AND t.expires_at > @now AND u.status = 'active'
                """, new { hash, now }, cancellationToken: ct));
        if (account is null) return (PasswordResetOutcome.InvalidToken, null);
        if (PasswordPolicy.Check(newPassword, account.Username) is { } problem) return (PasswordResetOutcome.WeakPassword, problem);

        var newHash = SignInService.HashPassword(newPassword);
        var done = await db.WriteAsync(async (connection, transaction, ct) =>
        {
            // Spending the token is the compare-and-set: of two racing requests, one updates the row and the other stops.
            var spent = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE password_reset_tokens SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now",
                new { now, hash }, transaction, cancellationToken: ct));
            if (spent != 1) return (false, false);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE password_reset_tokens SET used_at = @now WHERE user_id = @Id AND used_at IS NULL",
                new { now, account.Id }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE users SET password_hash = @newHash, password_changed_at = @now, failed_logins = 0, locked_until = 0
                WHERE tenant_id = @TenantId AND id = @Id
                """, new { newHash, now, account.TenantId, account.Id }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sessions SET revoked_at = @now WHERE user_id = @Id AND revoked_at IS NULL",
                new { now, account.Id }, transaction, cancellationToken: ct));
            if (account.Email is not null)
            {
                await outbox.EnqueueAsync(transaction, new OutgoingEmail
                {
                    TenantId = account.TenantId,
                    Kind = "password-changed",
                    Recipient = account.Email,
                    Subject = "Your Carevault password was changed",
                    Body = $"""
                        The password of the Carevault account "{account.Username}" was changed through a reset link, and every session of the account was signed out.

                        If this was not you, contact your administrator at once.
                        """,
                }, ct);
            }
            return (true, true);
        }, ct);
        return done ? (PasswordResetOutcome.Done, null) : (PasswordResetOutcome.InvalidToken, null);
    }
}
