using System.Security.Cryptography;
using Carevault.Storage.Database;
using Dapper;
using Carevault.Identity.People;

namespace Carevault.Server.Startup;

/// <summary>
/// On the very first start, creates the operators' tenant and its administrator with a generated password, and
/// prints that password once. Only the process whose insert of the <c>bootstrap</c> marker wins does this, so two
/// instances starting together on an empty database cannot both create (or print) an administrator.
/// </summary>
public sealed class BootstrapAdmin(Db db, TimeProvider clock)
{
    public const string SystemTenantId = Carevault.Identity.Authorization.SystemTenant.Id;
    public const string Username = "admin";
    const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    public sealed record Credential(string TenantId, string Username, string Password);

    /// <summary>Returns the new credential on the first start, null on every later one.</summary>
    public async Task<Credential?> EnsureAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var password = RandomNumberGenerator.GetString(Alphabet, 24);
        var hash = SignInService.HashPassword(password);
        return await db.WriteAsync<Credential?>(async (connection, transaction, ct) =>
        {
            var won = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO system_state (key, value) VALUES ('bootstrap', @now) ON CONFLICT (key) DO NOTHING",
                new { now = now.ToString(System.Globalization.CultureInfo.InvariantCulture) }, transaction, cancellationToken: ct));
            if (won == 0) return (null, false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO tenants (id, name, created_at) VALUES (@SystemTenantId, 'Carevault operators', @now)",
                new { SystemTenantId, now }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO users (id, tenant_id, username, password_hash, role, status, created_at) VALUES (@id, @SystemTenantId, @Username, @hash, 'admin', 'active', @now)",
                new { id = Guid.CreateVersion7().ToString("N"), SystemTenantId, Username, hash, now }, transaction, cancellationToken: ct));
            return (new Credential(SystemTenantId, Username, password), true);
        }, ct);
    }

    /// <summary>Writes the credential straight to the console, not through logging, so no log sink keeps it.</summary>
    public static void Print(Credential credential, TextWriter output)
    {
        output.WriteLine($"""

            ================================================================
             Carevault first start: bootstrap administrator
               tenant:   {credential.TenantId}
               username: {credential.Username}
               password: {credential.Password}
             This password is shown once and stored only as a hash.
            ================================================================

            """);
        output.Flush();
    }
}
