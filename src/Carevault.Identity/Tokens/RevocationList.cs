using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.Tokens;

/// <summary>
/// Revoked access tokens (by <c>jti</c>) until their expiry. Each instance keeps the live set in memory and reloads it
/// at most every <see cref="RefreshInterval"/>, so a revocation made on one instance holds everywhere within that
/// time without a database read per request. The revoking instance sees it at once.
/// </summary>
public sealed class RevocationList(Db db, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    readonly SemaphoreSlim _reload = new(1, 1);
    volatile HashSet<string>? _revoked;
    DateTimeOffset _loadedAt;

    public async ValueTask<bool> IsRevokedAsync(string jti, CancellationToken ct)
    {
        var revoked = _revoked;
        if (revoked is null || clock.GetUtcNow() - _loadedAt > RefreshInterval) revoked = await ReloadAsync(ct);
        return revoked.Contains(jti);
    }

    public async Task RevokeAsync(string tenantId, string jti, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO revoked_tokens (jti, tenant_id, expires_at, revoked_at) VALUES (@jti, @tenantId, @expires, @now) ON CONFLICT (jti) DO NOTHING",
                new { jti, tenantId, expires = expiresAt.ToUnixTimeMilliseconds(), now }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM revoked_tokens WHERE expires_at < @now", new { now }, transaction, cancellationToken: ct));
            return (0, true);
        }, ct);
        await ReloadAsync(ct);
    }

    async Task<HashSet<string>> ReloadAsync(CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            await using var connection = await db.OpenAsync(ct);
            var now = clock.GetUtcNow();
            var jtis = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT jti FROM revoked_tokens WHERE expires_at >= @now", new { now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
            var revoked = new HashSet<string>(jtis, StringComparer.Ordinal);
            _loadedAt = now;
            _revoked = revoked;
            return revoked;
        }
        finally
        {
            _reload.Release();
        }
    }

    public void Dispose() => _reload.Dispose();
}
