using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.People;

/// <summary>A person's account in a tenant.</summary>
public sealed record User(string Id, string TenantId, string Username, string Role, string Status, string? Email = null);

/// <summary>People's accounts; every method names the tenant.</summary>
public sealed class UserStore(Db db, TimeProvider clock)
{
    /// <summary>Creates an active user; null when the username is taken in that tenant. Throws on an invalid role or password.</summary>
    public Task<User?> CreateAsync(string tenantId, string username, string password, string role, CancellationToken ct) =>
        CreateAsync(tenantId, username, password, role, email: null, ct);

    /// <summary>Creates an active user with an email address (where reset links go); null when the username is taken.</summary>
    public async Task<User?> CreateAsync(string tenantId, string username, string password, string role, string? email, CancellationToken ct)
    {
        if (!Roles.All.Contains(role)) throw new ArgumentException($"Role must be one of: {string.Join(", ", Roles.All)}.", nameof(role));
        if (string.IsNullOrWhiteSpace(username) || username.Length > 200) throw new ArgumentException("A username is 1-200 characters.", nameof(username));
        if (PasswordPolicy.Check(password, username) is { } problem) throw new ArgumentException(problem, nameof(password));
        if (email is not null && (email.Length > 254 || email.AsSpan().IndexOfAny('\r', '\n') >= 0 || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
            throw new ArgumentException("The email address is not valid.", nameof(email));
        var user = new User(Guid.CreateVersion7().ToString("N"), tenantId, username, role, "active", email);
        await using var connection = await db.OpenAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO users (id, tenant_id, username, password_hash, role, status, created_at, email)
            VALUES (@Id, @TenantId, @Username, @hash, @Role, @Status, @now, @Email)
            ON CONFLICT (tenant_id, username) DO NOTHING
            """, new { user.Id, user.TenantId, user.Username, hash = SignInService.HashPassword(password), user.Role, user.Status, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), user.Email },
            cancellationToken: ct));
        return inserted == 0 ? null : user;
    }

    /// <summary>The tenant's people by username, at most <paramref name="limit"/> of them (the portal's user list).</summary>
    public async Task<IReadOnlyList<User>> ListAsync(string tenantId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var users = await connection.QueryAsync<User>(new CommandDefinition("""
            SELECT id AS Id, tenant_id AS TenantId, username AS Username, role AS Role, status AS Status, email AS Email
            FROM users WHERE tenant_id = @tenantId ORDER BY username LIMIT @limit
            """, new { tenantId, limit }, cancellationToken: ct));
        return users.AsList();
    }

    /// <summary>Disables or re-enables a user; disabling ends their sessions at the next request. False when not found.</summary>
    public async Task<bool> SetActiveAsync(string tenantId, string userId, bool active, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET status = @status WHERE tenant_id = @tenantId AND id = @userId",
            new { status = active ? "active" : "disabled", tenantId, userId }, cancellationToken: ct)) > 0;
    }
}
