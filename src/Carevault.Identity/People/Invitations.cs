using Carevault.Identity.Auditing;
using Carevault.Identity.Outbox;
using Carevault.Identity.Tokens;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.People;

/// <summary>
/// Staff, doctors, auditors and administrators join by invitation: an administrator names the person, role and email;
/// the account is created <c>invited</c> (no usable password, cannot sign in) and a single-use link (7 days) goes out
/// through the outbox in the same transaction. Accepting sets the password and activates the account.
/// The link token lives in <c>password_reset_tokens</c> beside reset tokens; the account's status tells them apart.
/// </summary>
public sealed class Invitations(Db db, EmailOutbox outbox, TokenOptions tokens, TimeProvider clock)
{
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromDays(7);

    /// <summary>Creates the invited account and queues the email; null when the username is taken in the tenant.</summary>
    public Task<User?> InviteAsync(string tenantId, string username, string email, string role, CancellationToken ct) =>
        InviteAsync(tenantId, username, email, role, fhirUser: null, ct);

    /// <summary>As above, the account linked to <paramref name="fhirUser"/> (see <see cref="FhirUserLink"/>).</summary>
    public async Task<User?> InviteAsync(string tenantId, string username, string email, string role, string? fhirUser, CancellationToken ct)
    {
        if (!Roles.All.Contains(role)) throw new ArgumentException($"Role must be one of: {string.Join(", ", Roles.All)}.", nameof(role));
        if (FhirUserLink.Check(role, fhirUser, out _, out _) is { } linkProblem) throw new ArgumentException(linkProblem, nameof(fhirUser));
        if (string.IsNullOrWhiteSpace(username) || username.Length > 200) throw new ArgumentException("A username is 1-200 characters.", nameof(username));
        if (string.IsNullOrWhiteSpace(email) || email.Length > 320 || !email.Contains('@', StringComparison.Ordinal) || email.AsSpan().ContainsAny('\r', '\n'))
            throw new ArgumentException("A valid email address is required.", nameof(email));

        var user = new User(Guid.CreateVersion7().ToString("N"), tenantId, username, role, "invited", email, fhirUser);
        var token = RandomToken.New();
        var now = clock.GetUtcNow();
        var notes = AuditNotes.Current;
        return await db.WriteAsync<User?>(async (connection, transaction, ct) =>
        {
            var inserted = await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO users (id, tenant_id, username, password_hash, role, status, created_at, email, fhir_user)
                VALUES (@Id, @TenantId, @Username, '!', @Role, @Status, @now, @email, @FhirUser)
                ON CONFLICT (tenant_id, username) DO NOTHING
                """, new { user.Id, user.TenantId, user.Username, user.Role, user.Status, now = now.ToUnixTimeMilliseconds(), email, user.FhirUser }, transaction, cancellationToken: ct));
            if (inserted == 0) return (null, false);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO password_reset_tokens (token_hash, tenant_id, user_id, created_at, expires_at)
                VALUES (@hash, @tenantId, @userId, @now, @expires)
                """, new { hash = Tokens.RandomToken.Hash(token), tenantId, userId = user.Id, now = now.ToUnixTimeMilliseconds(), expires = (now + LinkLifetime).ToUnixTimeMilliseconds() },
                transaction, cancellationToken: ct));
            await outbox.EnqueueAsync(transaction, new OutgoingEmail
            {
                TenantId = tenantId,
                Kind = "invitation",
                Recipient = email,
                Subject = "You are invited to Carevault",
                Body = $"""
                    You have been invited to Carevault as "{username}" ({role}).

                    To choose your password and activate the account, open this link within {(int)LinkLifetime.TotalDays} days. It works once:

                    {tokens.Issuer}/accept-invitation?token={token}
                    """,
            }, ct);
            // The invitation commits with its audit record (decision 0012).
            if (notes is not null) await notes.EnlistAsync(connection, transaction, ct);
            return (user, true);
        }, ct);
    }

    /// <summary>Activates an invited account with its first password. Null on success, else a reason safe to show.</summary>
    public async Task<string?> AcceptAsync(string token, string password, CancellationToken ct)
    {
        const string Invalid = "This invitation link is not valid: it may have expired or been used.";
        if (token.Length is 0 or > 100) return Invalid;
        var hash = Tokens.RandomToken.Hash(token);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        (string Id, string Username) user;
        await using (var connection = await db.OpenAsync(ct))
            user = await connection.QuerySingleOrDefaultAsync<(string Id, string Username)>(new CommandDefinition("""
                SELECT u.id, u.username FROM password_reset_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id
                WHERE t.token_hash = @hash AND t.used_at IS NULL AND t.expires_at > @now AND u.status = 'invited'
                """, new { hash, now }, cancellationToken: ct));
        if (user.Id is null) return Invalid;
        if (PasswordPolicy.Check(password, user.Username) is { } problem) return problem;

        var newHash = SignInService.HashPassword(password);
        return await db.WriteAsync<string?>(async (connection, transaction, ct) =>
        {
            var spent = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE password_reset_tokens SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now",
                new { now, hash }, transaction, cancellationToken: ct));
            if (spent != 1) return (Invalid, false);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET password_hash = @newHash, password_changed_at = @now, status = 'active' WHERE id = @Id AND status = 'invited'",
                new { newHash, now, user.Id }, transaction, cancellationToken: ct));
            return (null, true);
        }, ct);
    }
}
