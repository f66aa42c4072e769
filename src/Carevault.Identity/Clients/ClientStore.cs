using System.Security.Cryptography;
using Carevault.Identity.Auditing;
using Carevault.Identity.Scopes;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.Clients;

/// <summary>A hospital system registered with a tenant: what it may ask for and how long its tokens live.</summary>
public sealed record Client
{
    public required string Id { get; init; }
    public required string TenantId { get; init; }
    public required string Name { get; init; }
    public required ScopeSet Scopes { get; init; }
    public required TimeSpan TokenLifetime { get; init; }
    public required bool Active { get; init; }

    /// <summary>For apps (authorization code): the exact redirect URIs allowed; empty for hospital systems.</summary>
    public IReadOnlyList<string> RedirectUris { get; init; } = [];

    /// <summary>A public app (no secret: a browser or mobile app) proves itself by PKCE alone.</summary>
    public bool IsPublic { get; init; }

    public bool IsApp => RedirectUris.Count > 0;
}

/// <summary>A new client or a rotated secret: the only moment the plain secret exists outside the caller.</summary>
public sealed record IssuedClientSecret(Client Client, string Secret);

/// <summary>
/// Hospital clients. Every read and write but token-endpoint authentication names the tenant, so a caller can reach
/// only its own tenant's clients. Authentication looks a client up by id alone: the id is what the caller presents.
/// </summary>
public sealed class ClientStore(Db db, TimeProvider clock)
{
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromHours(12);

    sealed record Row(string Id, string TenantId, string Name, string SecretHash, string Scopes, long TokenLifetimeSeconds, string Status, string? RedirectUris = null, long PublicClient = 0);

    const string Columns = "id AS Id, tenant_id AS TenantId, name AS Name, secret_hash AS SecretHash, scopes AS Scopes, token_lifetime_seconds AS TokenLifetimeSeconds, status AS Status, redirect_uris AS RedirectUris, public_client AS PublicClient";

    /// <summary>Registers a client that authenticates with a secret (shown in the result only).</summary>
    public async Task<IssuedClientSecret> CreateAsync(string tenantId, string name, ScopeSet scopes, TimeSpan? tokenLifetime, CancellationToken ct)
    {
        var secret = ClientSecret.Generate();
        var client = await InsertAsync(tenantId, name, scopes, tokenLifetime, ClientSecret.Hash(secret), jwks: null, ct);
        return new IssuedClientSecret(client, secret);
    }

    /// <summary>
    /// Registers an app that acts for signed-in people (SMART App Launch): exact redirect URIs (https, or http on
    /// loopback), and either a secret (confidential) or none (public, PKCE only). The secret is null for public apps.
    /// </summary>
    public async Task<(Client Client, string? Secret)> CreateAppAsync(string tenantId, string name, ScopeSet scopes, IReadOnlyList<string> redirectUris, bool isPublic, CancellationToken ct)
    {
        if (redirectUris.Count is 0 or > 10) throw new ArgumentException("Give 1 to 10 redirect URIs.", nameof(redirectUris));
        foreach (var uri in redirectUris)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Fragment.Length > 0 || uri.Contains(' ', StringComparison.Ordinal)
                || !(parsed.Scheme == Uri.UriSchemeHttps || (parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback)))
                throw new ArgumentException("Redirect URIs are absolute https URLs (http only on loopback), without fragments.", nameof(redirectUris));
        }
        var secret = isPublic ? null : ClientSecret.Generate();
        var client = await InsertAsync(tenantId, name, scopes, null, secret is null ? NoSecret : ClientSecret.Hash(secret), jwks: null, ct, redirectUris, isPublic);
        return (client with { RedirectUris = redirectUris, IsPublic = isPublic }, secret);
    }

    /// <summary>An active client by id alone (the authorize endpoint, and public apps at the token endpoint).</summary>
    public async Task<Client?> FindActiveAsync(string clientId, CancellationToken ct)
    {
        if (clientId.Length is 0 or > 200) return null;
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM clients WHERE id = @clientId AND status = 'active'", new { clientId }, cancellationToken: ct));
        return row is null ? null : ToClient(row);
    }

    /// <summary>
    /// Registers a client that authenticates with signed assertions (private_key_jwt, SMART Backend Services),
    /// verified by the public keys in <paramref name="jwks"/>. It has no secret.
    /// </summary>
    public Task<Client> CreateWithKeysAsync(string tenantId, string name, ScopeSet scopes, TimeSpan? tokenLifetime, string jwks, CancellationToken ct)
    {
        ClientAssertions.ValidateJwks(jwks);
        return InsertAsync(tenantId, name, scopes, tokenLifetime, NoSecret, jwks, ct);
    }

    /// <summary>Stored for key-based clients: never a valid hash, so no secret can authenticate them.</summary>
    const string NoSecret = "none";

    async Task<Client> InsertAsync(string tenantId, string name, ScopeSet scopes, TimeSpan? tokenLifetime, string secretHash, string? jwks, CancellationToken ct,
        IReadOnlyList<string>? redirectUris = null, bool isPublic = false)
    {
        var lifetime = tokenLifetime ?? DefaultTokenLifetime;
        if (lifetime <= TimeSpan.Zero || lifetime > MaxTokenLifetime)
            throw new ArgumentOutOfRangeException(nameof(tokenLifetime), $"Token lifetime must be between 1 second and {MaxTokenLifetime.TotalHours} hours.");
        var row = new Row("cli_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), tenantId, name, secretHash, scopes.ToString(), (long)lifetime.TotalSeconds, "active");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var uris = redirectUris is null ? null : string.Join(' ', redirectUris);
        await AuditedWrite.RunAsync(db, (connection, transaction) => connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO clients (id, tenant_id, name, secret_hash, scopes, token_lifetime_seconds, status, created_at, secret_rotated_at, jwks, redirect_uris, public_client)
            VALUES (@Id, @TenantId, @Name, @SecretHash, @Scopes, @TokenLifetimeSeconds, @Status, @now, @now, @jwks, @uris, @isPublic)
            """, new { row.Id, row.TenantId, row.Name, row.SecretHash, row.Scopes, row.TokenLifetimeSeconds, row.Status, now, jwks, uris, isPublic = isPublic ? 1 : 0 },
            transaction, cancellationToken: ct)), _ => true, ct);
        return ToClient(row);
    }

    /// <summary>An active key-based client and its registered JWKS, by id (the assertion's issuer); null otherwise.</summary>
    internal async Task<(Client Client, string Jwks)?> FindKeyClientAsync(string clientId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string Jwks)>(new CommandDefinition(
            "SELECT id, jwks FROM clients WHERE id = @clientId AND status = 'active' AND jwks IS NOT NULL", new { clientId }, cancellationToken: ct));
        if (row.Id is null) return null;
        var client = await connection.QuerySingleAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM clients WHERE id = @clientId", new { clientId }, cancellationToken: ct));
        return (ToClient(client), row.Jwks);
    }

    /// <summary>Records an assertion id; false when the client already used it (a replay).</summary>
    internal async Task<bool> TryUseAssertionAsync(string clientId, string jti, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.WriteAsync(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM used_client_assertions WHERE expires_at < @now", new { now }, transaction, cancellationToken: ct));
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO used_client_assertions (client_id, jti, expires_at) VALUES (@clientId, @jti, @expires) ON CONFLICT (client_id, jti) DO NOTHING",
                new { clientId, jti, expires = expiresAt.ToUnixTimeMilliseconds() }, transaction, cancellationToken: ct));
            return (inserted == 1, true);
        }, ct);
    }

    public async Task<IReadOnlyList<Client>> ListAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM clients WHERE tenant_id = @tenantId ORDER BY created_at, id", new { tenantId }, cancellationToken: ct));
        return rows.Select(ToClient).ToList();
    }

    /// <summary>Replaces the secret; the old one stops working at once. Null when the tenant has no such client.</summary>
    public async Task<IssuedClientSecret?> RotateSecretAsync(string tenantId, string clientId, CancellationToken ct)
    {
        var secret = ClientSecret.Generate();
        var row = await AuditedWrite.RunAsync<Row?>(db, async (connection, transaction) =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE clients SET secret_hash = @hash, secret_rotated_at = @now WHERE tenant_id = @tenantId AND id = @clientId AND status = 'active'",
                new { hash = ClientSecret.Hash(secret), now = clock.GetUtcNow().ToUnixTimeMilliseconds(), tenantId, clientId }, transaction, cancellationToken: ct));
            return changed == 0 ? null
                : await connection.QuerySingleAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM clients WHERE id = @clientId", new { clientId }, transaction, cancellationToken: ct));
        }, changed => changed is not null, ct);
        return row is null ? null : new IssuedClientSecret(ToClient(row), secret);
    }

    /// <summary>
    /// Replaces an active client's scopes. Tokens already issued keep the scopes they were issued with until they expire
    /// (at most the client's token lifetime). False when the tenant has no such active client.
    /// </summary>
    public async Task<bool> SetScopesAsync(string tenantId, string clientId, ScopeSet scopes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        return await AuditedWrite.RunAsync(db, async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE clients SET scopes = @scopes WHERE tenant_id = @tenantId AND id = @clientId AND status = 'active'",
            new { scopes = scopes.ToString(), tenantId, clientId }, transaction, cancellationToken: ct)) > 0, changed => changed, ct);
    }

    /// <summary>Revokes a client: it can obtain no more tokens. False when the tenant has no such client.</summary>
    public async Task<bool> RevokeAsync(string tenantId, string clientId, CancellationToken ct)
    {
        return await AuditedWrite.RunAsync(db, async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE clients SET status = 'revoked' WHERE tenant_id = @tenantId AND id = @clientId", new { tenantId, clientId }, transaction, cancellationToken: ct)) > 0,
            changed => changed, ct);
    }

    /// <summary>
    /// Authenticates a client by id and secret. Null for an unknown client, a wrong secret or a revoked client alike,
    /// and the hash is computed in every case, so neither the answer nor its timing tells which.
    /// </summary>
    public async Task<Client?> AuthenticateAsync(string clientId, string secret, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM clients WHERE id = @clientId", new { clientId }, cancellationToken: ct));
        var verified = ClientSecret.Verify(secret, row?.SecretHash ?? DummyHash);
        return row is not null && verified && row.Status == "active" ? ToClient(row) : null;
    }

    static readonly string DummyHash = ClientSecret.Hash(ClientSecret.Generate());

    static Client ToClient(Row row)
    {
        // Scopes were validated when stored; a row that no longer parses grants nothing.
        if (!ScopeSet.TryParse(row.Scopes, out var scopes)) scopes = ScopeSet.Empty;
        return new Client
        {
            Id = row.Id,
            TenantId = row.TenantId,
            Name = row.Name,
            Scopes = scopes,
            TokenLifetime = TimeSpan.FromSeconds(row.TokenLifetimeSeconds),
            Active = row.Status == "active",
            RedirectUris = string.IsNullOrEmpty(row.RedirectUris) ? [] : row.RedirectUris.Split(' '),
            IsPublic = row.PublicClient == 1,
        };
    }
}
