using System.Security.Cryptography;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Dapper;
using Microsoft.IdentityModel.Tokens;

namespace Carevault.Identity.Tokens;

/// <summary>
/// ES256 keys that sign access tokens, shared by every instance through the database (private keys sealed by the
/// master key). The newest key signs; older keys verify until their <c>verify_until</c>, which a rotation sets to
/// twice the longest token lifetime ahead, so a token signed just before a rotation stays valid until it expires.
/// Instances reload the ring every minute, and at once when a token names an unknown key id.
/// </summary>
public sealed class SigningKeyRing(Db db, MasterKeys masterKeys, TimeProvider clock) : IDisposable
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;
    static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);
    static readonly TimeSpan MinimumReloadGap = TimeSpan.FromSeconds(5);

    public sealed record SigningKey(string Kid, ECDsaSecurityKey Key, string X, string Y, DateTimeOffset? VerifyUntil);

    sealed record Snapshot(IReadOnlyList<SigningKey> Keys, DateTimeOffset LoadedAt);

    sealed record Row(string Kid, string PublicX, string PublicY, byte[] PrivateKey, long CreatedAt, long? VerifyUntil);

    readonly SemaphoreSlim _loadLock = new(1, 1);
    Snapshot? _snapshot;

    public void Dispose() => _loadLock.Dispose();

    /// <summary>The key new tokens are signed with (creating the first key on first use).</summary>
    public async Task<SigningKey> CurrentAsync(CancellationToken ct)
    {
        var keys = await KeysAsync(ct);
        if (keys.Count == 0)
        {
            await CreateKeyAsync(ct);
            keys = (await ReloadAsync(ct)).Keys;
        }
        return keys[0];
    }

    /// <summary>The keys tokens may be verified with now: the signing key first.</summary>
    public async Task<IReadOnlyList<SigningKey>> KeysAsync(CancellationToken ct)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is null || clock.GetUtcNow() - snapshot.LoadedAt > RefreshInterval) snapshot = await ReloadAsync(ct);
        var now = clock.GetUtcNow();
        return snapshot.Keys.Where(k => k.VerifyUntil is null || k.VerifyUntil > now).ToList();
    }

    /// <summary>Finds a verification key by kid, reloading once (rate-limited) when it is unknown.</summary>
    public async Task<SigningKey?> FindAsync(string kid, CancellationToken ct)
    {
        var keys = await KeysAsync(ct);
        var key = keys.FirstOrDefault(k => k.Kid == kid);
        if (key is not null) return key;
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && clock.GetUtcNow() - snapshot.LoadedAt < MinimumReloadGap) return null;
        await ReloadAsync(ct);
        return (await KeysAsync(ct)).FirstOrDefault(k => k.Kid == kid);
    }

    /// <summary>Makes a new key the signing key; the previous ones verify for <paramref name="graceFor"/> more.</summary>
    public async Task<string> RotateAsync(TimeSpan graceFor, CancellationToken ct)
    {
        var until = (clock.GetUtcNow() + graceFor).ToUnixTimeMilliseconds();
        await db.ExecuteAsync("UPDATE signing_keys SET verify_until = @until WHERE verify_until IS NULL OR verify_until > @until", new { until }, ct);
        var kid = await CreateKeyAsync(ct);
        await ReloadAsync(ct);
        return kid;
    }

    async Task<string> CreateKeyAsync(CancellationToken ct)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var sealedKey = await masterKeys.SealAsync(ecdsa.ExportPkcs8PrivateKey(), ct);
        var x = Base64UrlEncoder.Encode(parameters.Q.X);
        var y = Base64UrlEncoder.Encode(parameters.Q.Y);
        // RFC 7638 JWK thumbprint as the kid: stable, derived from the public key, unique per key.
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));
        await db.ExecuteAsync(
            "INSERT INTO signing_keys (kid, algorithm, public_x, public_y, private_key, created_at, verify_until) VALUES (@kid, @Algorithm, @x, @y, @sealedKey, @now, NULL)",
            new { kid, Algorithm, x, y, sealedKey, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, ct);
        return kid;
    }

    async Task<Snapshot> ReloadAsync(CancellationToken ct)
    {
        await _loadLock.WaitAsync(ct);
        try
        {
            await using var connection = await db.OpenAsync(ct);
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                "SELECT kid AS Kid, public_x AS PublicX, public_y AS PublicY, private_key AS PrivateKey, created_at AS CreatedAt, verify_until AS VerifyUntil FROM signing_keys ORDER BY CASE WHEN verify_until IS NULL THEN 0 ELSE 1 END, created_at DESC, kid",
                cancellationToken: ct));
            var keys = new List<SigningKey>();
            foreach (var row in rows)
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(await masterKeys.UnsealAsync(row.PrivateKey, ct), out _);
                keys.Add(new SigningKey(row.Kid, new ECDsaSecurityKey(ecdsa) { KeyId = row.Kid }, row.PublicX, row.PublicY,
                    row.VerifyUntil is { } until ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null));
            }
            var snapshot = new Snapshot(keys, clock.GetUtcNow());
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
        finally
        {
            _loadLock.Release();
        }
    }
}
