using System.Security.Cryptography;
using System.Text;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Identity.Tokens;

/// <summary>The person an authorization speaks for (with their linked FHIR resource, if any), and what they granted the app.</summary>
public sealed record GrantedAccess(string TenantId, string UserId, string Role, ScopeSet Scopes, string? FhirUser = null);

/// <summary>
/// Authorization codes (RFC 6749 §4.1, single use, 60 s, bound to client, redirect URI and a PKCE S256 challenge —
/// RFC 7636) and rotating refresh tokens (a spent token presented again revokes its whole family).
/// Codes and tokens are stored only as SHA-256 hashes.
/// </summary>
public sealed class AuthorizationGrants(Db db, TimeProvider clock)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan RefreshLifetime = TimeSpan.FromDays(30);

    public async Task<string> IssueCodeAsync(Client client, string userId, string redirectUri, ScopeSet scopes, string codeChallenge, CancellationToken ct)
    {
        var code = RandomToken.New();
        await db.ExecuteAsync("""
            INSERT INTO authorization_codes (code_hash, client_id, tenant_id, user_id, redirect_uri, scopes, code_challenge, expires_at)
            VALUES (@hash, @clientId, @tenantId, @userId, @redirectUri, @scopes, @codeChallenge, @expires)
            """, new
            {
                hash = RandomToken.Hash(code), clientId = client.Id, tenantId = client.TenantId, userId, redirectUri, scopes = scopes.ToString(), codeChallenge,
                expires = (clock.GetUtcNow() + CodeLifetime).ToUnixTimeMilliseconds(),
            }, ct);
        return code;
    }

    /// <summary>Spends a code; null when it is unknown, used, expired, another client's, or the verifier or redirect URI do not match.</summary>
    public async Task<GrantedAccess?> RedeemCodeAsync(Client client, string code, string redirectUri, string codeVerifier, CancellationToken ct)
    {
        // RFC 7636 §4.1: 43-128 characters of the unreserved set.
        if (code.Length is 0 or > 100 || codeVerifier.Length is < 43 or > 128 || codeVerifier.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')))
            return null;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (row, spent) = await db.WriteAsync(async (connection, transaction, ct) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(string ClientId, string TenantId, string UserId, string RedirectUri, string Scopes, string CodeChallenge, string Role, string? FhirUser)>(new CommandDefinition("""
                SELECT c.client_id, c.tenant_id, c.user_id, c.redirect_uri, c.scopes, c.code_challenge, u.role, u.fhir_user
                FROM authorization_codes c JOIN users u ON u.id = c.user_id AND u.tenant_id = c.tenant_id AND u.status = 'active'
                WHERE c.code_hash = @hash AND c.used_at IS NULL AND c.expires_at > @now
                """, new { hash = RandomToken.Hash(code), now }, transaction, cancellationToken: ct));
            // The code is spent whatever happens next: a code presented with a wrong verifier is not retried.
            var spent = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE authorization_codes SET used_at = @now WHERE code_hash = @hash AND used_at IS NULL", new { now, hash = RandomToken.Hash(code) }, transaction, cancellationToken: ct));
            return ((row, spent), true);
        }, ct);
        if (row.ClientId is null || spent != 1 || row.ClientId != client.Id || row.RedirectUri != redirectUri) return null;
        var challenge = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(challenge), Encoding.ASCII.GetBytes(row.CodeChallenge))) return null;
        return ScopeSet.TryParse(row.Scopes, out var scopes) ? new GrantedAccess(row.TenantId, row.UserId, row.Role, scopes, row.FhirUser) : null;
    }

    public async Task<string> IssueRefreshTokenAsync(Client client, GrantedAccess access, string? familyId, CancellationToken ct)
    {
        return await db.WriteAsync(async (connection, transaction, ct) =>
            (await InsertRefreshAsync(connection, transaction, client, access, familyId ?? Guid.CreateVersion7().ToString("N"), ct), true), ct);
    }

    /// <summary>
    /// Exchanges a refresh token for a new one of the same family. A token already spent revokes the family (someone
    /// holds a copy); revoked, expired or another client's tokens are refused. Null on refusal.
    /// </summary>
    public async Task<(GrantedAccess Access, string RefreshToken)?> RotateRefreshTokenAsync(Client client, string token, CancellationToken ct) =>
        (await RotateRefreshTokenWithReasonAsync(client, token, ct)).Rotated;

    /// <summary>As <see cref="RotateRefreshTokenAsync"/>; <c>Reused</c> tells the audit trail a spent token came back.</summary>
    public async Task<((GrantedAccess Access, string RefreshToken)? Rotated, bool Reused)> RotateRefreshTokenWithReasonAsync(Client client, string token, CancellationToken ct)
    {
        if (token.Length is 0 or > 100) return (null, false);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.WriteAsync<((GrantedAccess Access, string RefreshToken)? Rotated, bool Reused)>(async (connection, transaction, ct) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(string FamilyId, string ClientId, string TenantId, string UserId, string Scopes, long ExpiresAt, long? UsedAt, long? RevokedAt, string Role, string? FhirUser)>(new CommandDefinition("""
                SELECT r.family_id, r.client_id, r.tenant_id, r.user_id, r.scopes, r.expires_at, r.used_at, r.revoked_at, u.role, u.fhir_user
                FROM refresh_tokens r JOIN users u ON u.id = r.user_id AND u.tenant_id = r.tenant_id AND u.status = 'active'
                WHERE r.token_hash = @hash
                """, new { hash = RandomToken.Hash(token) }, transaction, cancellationToken: ct));
            if (row.FamilyId is null || row.ClientId != client.Id) return ((null, false), false);
            if (row.UsedAt is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE refresh_tokens SET revoked_at = @now WHERE family_id = @FamilyId AND revoked_at IS NULL", new { now, row.FamilyId }, transaction, cancellationToken: ct));
                return ((null, true), true);
            }
            if (row.RevokedAt is not null || row.ExpiresAt <= now || !ScopeSet.TryParse(row.Scopes, out var scopes)) return ((null, false), false);
            var spent = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE refresh_tokens SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL", new { now, hash = RandomToken.Hash(token) }, transaction, cancellationToken: ct));
            if (spent != 1) return ((null, false), false);
            var access = new GrantedAccess(row.TenantId, row.UserId, row.Role, scopes, row.FhirUser);
            var next = await InsertRefreshAsync(connection, transaction, client, access, row.FamilyId, ct);
            return (((access, next), false), true);
        }, ct);
    }

    async Task<string> InsertRefreshAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, Client client, GrantedAccess access, string familyId, CancellationToken ct)
    {
        var token = RandomToken.New();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO refresh_tokens (token_hash, family_id, client_id, tenant_id, user_id, scopes, expires_at)
            VALUES (@hash, @familyId, @clientId, @TenantId, @UserId, @scopes, @expires)
            """, new
            {
                hash = RandomToken.Hash(token), familyId, clientId = client.Id, access.TenantId, access.UserId, scopes = access.Scopes.ToString(),
                expires = (clock.GetUtcNow() + RefreshLifetime).ToUnixTimeMilliseconds(),
            }, transaction, cancellationToken: ct));
        return token;
    }
}
