using System.Data.Common;
using Carevault.Identity.Auditing;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.People;

/// <summary>A person's account in a tenant; <paramref name="FhirUser"/> is the FHIR resource they are linked to, if any.</summary>
public sealed record User(string Id, string TenantId, string Username, string Role, string Status, string? Email = null, string? FhirUser = null);

/// <summary>People's accounts; every method names the tenant.</summary>
public sealed class UserStore(Db db, TimeProvider clock)
{
    /// <summary>Creates an active user; null when the username is taken in that tenant. Throws on an invalid role or password.</summary>
    public Task<User?> CreateAsync(string tenantId, string username, string password, string role, CancellationToken ct) =>
        CreateAsync(tenantId, username, password, role, email: null, ct);

    /// <summary>Creates an active user with an email address (where reset links go); null when the username is taken.</summary>
    public Task<User?> CreateAsync(string tenantId, string username, string password, string role, string? email, CancellationToken ct) =>
        CreateAsync(tenantId, username, password, role, email, fhirUser: null, ct);

    /// <summary>Creates an active user linked to <paramref name="fhirUser"/> (see <see cref="FhirUserLink"/>); null when the username is taken.</summary>
    public async Task<User?> CreateAsync(string tenantId, string username, string password, string role, string? email, string? fhirUser, CancellationToken ct)
    {
        var user = NewUser(tenantId, username, password, role, email, fhirUser);
        var passwordHash = SignInService.HashPassword(password);
        return await AuditedWrite.RunAsync(db, (connection, transaction) => InsertAsync(connection, transaction, user, passwordHash, ct), inserted => inserted, ct) ? user : null;
    }

    /// <summary>Checks every field (throwing <see cref="ArgumentException"/>) and returns the account to insert.</summary>
    public static User NewUser(string tenantId, string username, string password, string role, string? email, string? fhirUser)
    {
        if (!Roles.All.Contains(role)) throw new ArgumentException($"Role must be one of: {string.Join(", ", Roles.All)}.", nameof(role));
        if (string.IsNullOrWhiteSpace(username) || username.Length > 200) throw new ArgumentException("A username is 1-200 characters.", nameof(username));
        if (PasswordPolicy.Check(password, username) is { } problem) throw new ArgumentException(problem, nameof(password));
        if (email is not null && (email.Length > 254 || email.AsSpan().IndexOfAny('\r', '\n') >= 0 || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
            throw new ArgumentException("The email address is not valid.", nameof(email));
        if (FhirUserLink.Check(role, fhirUser, out _, out _) is { } linkProblem) throw new ArgumentException(linkProblem, nameof(fhirUser));
        return new User(Guid.CreateVersion7().ToString("N"), tenantId, username, role, "active", email, fhirUser);
    }

    /// <summary>
    /// Inserts a user from <see cref="NewUser"/> inside <paramref name="transaction"/>; false when the username is taken.
    /// The password is hashed beforehand (<see cref="SignInService.HashPassword"/>): hashing is slow, and the write lock is held here.
    /// </summary>
    public async Task<bool> InsertAsync(DbConnection connection, DbTransaction transaction, User user, string passwordHash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(user);
        return await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO users (id, tenant_id, username, password_hash, role, status, created_at, email, fhir_user)
            VALUES (@Id, @TenantId, @Username, @hash, @Role, @Status, @now, @Email, @FhirUser)
            ON CONFLICT (tenant_id, username) DO NOTHING
            """, new { user.Id, user.TenantId, user.Username, hash = passwordHash, user.Role, user.Status, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), user.Email, user.FhirUser },
            transaction, cancellationToken: ct)) > 0;
    }

    /// <summary>Links a user to a FHIR resource (or unlinks with null); the caller has checked it with <see cref="FhirUserLink"/>. False when not found.</summary>
    public async Task<bool> SetFhirUserAsync(string tenantId, string userId, string? fhirUser, CancellationToken ct)
    {
        return await AuditedWrite.RunAsync(db, async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET fhir_user = @fhirUser WHERE tenant_id = @tenantId AND id = @userId",
            new { fhirUser, tenantId, userId }, transaction, cancellationToken: ct)) > 0, changed => changed, ct);
    }

    /// <summary>The user's role, or null when the tenant has no such user.</summary>
    public async Task<string?> FindRoleAsync(string tenantId, string userId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT role FROM users WHERE tenant_id = @tenantId AND id = @userId", new { tenantId, userId }, cancellationToken: ct));
    }

    /// <summary>One user of the tenant, or null (the portal reads a patient's email for their appointment reminders).</summary>
    public async Task<User?> FindAsync(string tenantId, string userId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<User>(new CommandDefinition("""
            SELECT id AS Id, tenant_id AS TenantId, username AS Username, role AS Role, status AS Status, email AS Email, fhir_user AS FhirUser
            FROM users WHERE tenant_id = @tenantId AND id = @userId
            """, new { tenantId, userId }, cancellationToken: ct));
    }

    /// <summary>The tenant's people by username, at most <paramref name="limit"/> of them (the portal's user list).</summary>
    public async Task<IReadOnlyList<User>> ListAsync(string tenantId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var users = await connection.QueryAsync<User>(new CommandDefinition("""
            SELECT id AS Id, tenant_id AS TenantId, username AS Username, role AS Role, status AS Status, email AS Email, fhir_user AS FhirUser
            FROM users WHERE tenant_id = @tenantId ORDER BY username LIMIT @limit
            """, new { tenantId, limit }, cancellationToken: ct));
        return users.AsList();
    }

    /// <summary>Disables or re-enables a user; disabling ends their sessions at the next request. False when not found.</summary>
    public async Task<bool> SetActiveAsync(string tenantId, string userId, bool active, CancellationToken ct)
    {
        return await AuditedWrite.RunAsync(db, async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET status = @status WHERE tenant_id = @tenantId AND id = @userId",
            new { status = active ? "active" : "disabled", tenantId, userId }, transaction, cancellationToken: ct)) > 0, changed => changed, ct);
    }
}
