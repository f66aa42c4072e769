using Carevault.Storage.Database;
using Dapper;
using Microsoft.AspNetCore.Identity;

namespace Carevault.Identity.People;

/// <summary>A signed-in person as a session knows them; <paramref name="FhirUser"/> is their linked FHIR resource, if any.</summary>
public sealed record SignedInUser(string TenantId, string UserId, string Username, string Role, string? FhirUser = null);

/// <summary>A new session: the cookie value (shown to the browser only) and who it is for.</summary>
public sealed record NewSession(string Token, SignedInUser User, DateTimeOffset ExpiresAt);

/// <summary>
/// Password sign-in with lockout, and server-side sessions. Every failure — unknown tenant or user, wrong password,
/// disabled or locked account — looks the same to the caller and costs about the same time (a hash is always checked).
/// </summary>
public sealed class SignInService(Db db, TimeProvider clock, SecondFactor secondFactor)
{
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);
    static readonly PasswordHasher<SignedInUser> Hasher = new();
    static readonly string DummyHash = Hasher.HashPassword(null!, "carevault-dummy-password-for-timing");

    sealed record UserRow(string Id, string TenantId, string Username, string PasswordHash, string Role, string Status, long FailedLogins, long LockedUntil,
        byte[]? TotpSecret, long TotpLastStep);

    public static string HashPassword(string password) => Hasher.HashPassword(null!, password);

    public Task<NewSession?> SignInAsync(string tenantId, string username, string password, CancellationToken ct) =>
        SignInAsync(tenantId, username, password, totpCode: null, ct);

    /// <summary>Signs in; when the user has a TOTP second factor, <paramref name="totpCode"/> must be a current, unused code.</summary>
    public async Task<NewSession?> SignInAsync(string tenantId, string username, string password, string? totpCode, CancellationToken ct) =>
        (await AttemptAsync(tenantId, username, password, totpCode, ct)).Session;

    /// <summary>
    /// <see cref="SignInAsync(string, string, string, string?, CancellationToken)"/>, also saying why a sign-in failed —
    /// for the audit trail only (<c>unknown-user</c>, <c>not-active</c>, <c>locked</c>, <c>bad-credentials</c>, or
    /// <c>lockout</c> when this failure locked the account); the caller's answer never differs.
    /// </summary>
    public async Task<(NewSession? Session, string? Failure)> AttemptAsync(string tenantId, string username, string password, string? totpCode, CancellationToken ct)
    {
        UserRow? user;
        await using (var connection = await db.OpenAsync(ct))
        {
            user = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition("""
                SELECT id AS Id, tenant_id AS TenantId, username AS Username, password_hash AS PasswordHash, role AS Role, status AS Status,
                       failed_logins AS FailedLogins, locked_until AS LockedUntil, totp_secret AS TotpSecret, totp_last_step AS TotpLastStep
                FROM users WHERE tenant_id = @tenantId AND username = @username
                """, new { tenantId, username }, cancellationToken: ct));
        }
        var now = clock.GetUtcNow();
        var usable = user is not null && user.Status == "active" && user.LockedUntil <= now.ToUnixTimeMilliseconds();
        var verdict = Hasher.VerifyHashedPassword(null!, usable ? user!.PasswordHash : DummyHash, password);
        if (!usable) return (null, user is null ? "unknown-user" : user.Status != "active" ? "not-active" : "locked");

        // A missing or wrong second-factor code is a failed sign-in like a wrong password: same answer, same lockout.
        if (verdict == PasswordVerificationResult.Failed
            || (user!.TotpSecret is { } totpSecret && !await secondFactor.VerifyAsync(user.Id, totpSecret, user.TotpLastStep, totpCode, ct)))
        {
            var failures = (int)user!.FailedLogins + 1;
            var lockedUntil = Lockout.DelayAfter(failures) is { } delay && delay > TimeSpan.Zero ? (now + delay).ToUnixTimeMilliseconds() : 0;
            await db.ExecuteAsync("UPDATE users SET failed_logins = @failures, locked_until = @lockedUntil WHERE id = @Id", new { failures, lockedUntil, user.Id }, ct);
            return (null, lockedUntil > 0 ? "lockout" : "bad-credentials");
        }

        var token = Tokens.RandomToken.New();
        var expires = now + SessionLifetime;
        var newHash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? HashPassword(password) : user!.PasswordHash;
        await db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET failed_logins = 0, locked_until = 0, password_hash = @newHash WHERE id = @Id",
                new { newHash, user!.Id }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, expires_at) VALUES (@hash, @TenantId, @Id, @now, @expires)",
                new { hash = Tokens.RandomToken.Hash(token), user.TenantId, user.Id, now = now.ToUnixTimeMilliseconds(), expires = expires.ToUnixTimeMilliseconds() },
                transaction, cancellationToken: ct));
            return (0, true);
        }, ct);
        return (new NewSession(token, new SignedInUser(user.TenantId, user.Id, user.Username, user.Role), expires), null);
    }

    /// <summary>The user of a live session, or null for an unknown, expired or revoked one, or a disabled user.</summary>
    public async Task<SignedInUser?> FindSessionAsync(string token, CancellationToken ct)
    {
        if (token.Length is 0 or > 100) return null;
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SignedInUser>(new CommandDefinition("""
            SELECT u.tenant_id AS TenantId, u.id AS UserId, u.username AS Username, u.role AS Role, u.fhir_user AS FhirUser
            FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
            WHERE s.token_hash = @hash AND s.revoked_at IS NULL AND s.expires_at > @now AND u.status = 'active'
            """, new { hash = Tokens.RandomToken.Hash(token), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    public async Task SignOutAsync(string token, CancellationToken ct)
    {
        await db.ExecuteAsync("UPDATE sessions SET revoked_at = @now WHERE token_hash = @hash AND revoked_at IS NULL",
            new { hash = Tokens.RandomToken.Hash(token), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, ct);
    }

    /// <summary>
    /// Changes a password after checking the current one; ends every other session of the user.
    /// Null on success, else a reason safe to show.
    /// </summary>
    public async Task<string?> ChangePasswordAsync(SignedInUser user, string currentPassword, string newPassword, string keepSessionToken, CancellationToken ct)
    {
        if (PasswordPolicy.Check(newPassword, user.Username) is { } problem) return problem;
        string? hash;
        await using (var connection = await db.OpenAsync(ct))
        {
            hash = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT password_hash FROM users WHERE tenant_id = @TenantId AND id = @UserId", new { user.TenantId, user.UserId }, cancellationToken: ct));
        }
        if (hash is null || Hasher.VerifyHashedPassword(null!, hash, currentPassword) == PasswordVerificationResult.Failed)
            return "The current password is not correct.";
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var newHash = HashPassword(newPassword);
        await db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET password_hash = @newHash, password_changed_at = @now WHERE tenant_id = @TenantId AND id = @UserId",
                new { newHash, now, user.TenantId, user.UserId }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sessions SET revoked_at = @now WHERE user_id = @UserId AND revoked_at IS NULL AND token_hash <> @keep",
                new { now, user.UserId, keep = Tokens.RandomToken.Hash(keepSessionToken) }, transaction, cancellationToken: ct));
            return (0, true);
        }, ct);
        return null;
    }
}
