using System.Text.RegularExpressions;
using Carevault.Identity.Auditing;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.Tenants;

/// <summary>A hospital, lab or clinic: the boundary no data crosses.</summary>
public sealed record Tenant(string Id, string Name);

public sealed partial class TenantStore(Db db, TimeProvider clock)
{
    /// <summary>Creates a tenant. Ids are short lowercase slugs chosen by the operator (they appear in logs, not data).</summary>
    public async Task<Tenant?> CreateAsync(string id, string name, CancellationToken ct)
    {
        if (!IdPattern().IsMatch(id)) throw new ArgumentException("Tenant ids are 2-40 characters of a-z, 0-9 and '-', starting with a letter.", nameof(id));
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) throw new ArgumentException("A tenant name is 1-200 characters.", nameof(name));
        var inserted = await AuditedWrite.RunAsync(db, (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO tenants (id, name, created_at) VALUES (@id, @name, @now) ON CONFLICT (id) DO NOTHING",
            new { id, name, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: ct)), count => count > 0, ct);
        return inserted == 0 ? null : new Tenant(id, name);
    }

    public async Task<Tenant?> FindAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Tenant>(new CommandDefinition("SELECT id AS Id, name AS Name FROM tenants WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>Whether patients may register themselves in the tenant (false for an unknown tenant).</summary>
    public async Task<bool> AllowsPatientRegistrationAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT allow_patient_registration FROM tenants WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> SetPatientRegistrationAsync(string id, bool allowed, CancellationToken ct)
    {
        return await AuditedWrite.RunAsync(db, async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tenants SET allow_patient_registration = @value WHERE id = @id", new { id, value = allowed ? 1 : 0 }, transaction, cancellationToken: ct)) > 0,
            changed => changed, ct);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{1,39}$")]
    private static partial Regex IdPattern();
}
