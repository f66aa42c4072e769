using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Carevault.Identity.Scopes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Carevault.Identity.Tokens;

/// <summary>Claim names of Carevault access tokens beyond the registered JWT claims (RFC 7519 §4.1).</summary>
public static class CarevaultClaims
{
    public const string Tenant = "tenant";
    public const string Scope = "scope";
    public const string ClientId = "client_id";
    public const string Kind = "kind";
    public const string Role = "role";

    /// <summary>The person's FHIR resource, <c>Patient/{id}</c> or <c>Practitioner/{id}</c> (SMART App Launch 2.0, fhirUser).</summary>
    public const string FhirUser = "fhirUser";
}

/// <summary>An access token as issued: the JWT and when it stops working.</summary>
public sealed record IssuedToken(string AccessToken, TimeSpan Lifetime, ScopeSet Scopes);

/// <summary>Issues and validates Carevault access tokens: JWTs signed with ES256 from the <see cref="SigningKeyRing"/>.</summary>
public sealed class AccessTokens(SigningKeyRing keys, RevocationList revocations, TokenOptions options, TimeProvider clock)
{
    static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>At most this many validated tokens are remembered (a few MB); past it the expired ones go, then all.</summary>
    internal const int MaxValidated = 10_000;

    readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };

    /// <summary>
    /// Tokens whose signature and claims were already checked, by the SHA-256 of the token: the ECDSA verification and
    /// claim parsing (about 190 µs) run once per token instead of once per request. A hit is still refused once the
    /// token expires, when it is revoked, or when its signing key no longer verifies (a rotation's grace ended).
    /// </summary>
    readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);

    sealed record Validated(Claim[] Claims, string Kid, string Jti, DateTime NotBefore, DateTime Expires);

    public Task<IssuedToken> IssueForClientAsync(string tenantId, string clientId, ScopeSet scopes, TimeSpan lifetime, CancellationToken ct) =>
        IssueAsync(tenantId, clientId, clientId, "client", role: null, scopes, lifetime, ct);

    /// <summary>A token for an app acting for a signed-in person: <c>sub</c> is the person, <c>client_id</c> the app.</summary>
    public Task<IssuedToken> IssueForUserAsync(string tenantId, string userId, string role, string clientId, ScopeSet scopes, TimeSpan lifetime, CancellationToken ct) =>
        IssueAsync(tenantId, userId, clientId, "user", role, scopes, lifetime, ct);

    /// <summary>As above, with the person's <c>fhirUser</c> (null when the account is not linked to a FHIR resource).</summary>
    public Task<IssuedToken> IssueForUserAsync(string tenantId, string userId, string role, string? fhirUser, string clientId, ScopeSet scopes, TimeSpan lifetime, CancellationToken ct) =>
        IssueAsync(tenantId, userId, clientId, "user", role, scopes, lifetime, ct, fhirUser);

    async Task<IssuedToken> IssueAsync(string tenantId, string subject, string clientId, string kind, string? role, ScopeSet scopes, TimeSpan lifetime, CancellationToken ct,
        string? fhirUser = null)
    {
        var key = await keys.CurrentAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(key.Key, SigningKeyRing.Algorithm),
            TokenType = "at+jwt", // RFC 9068 §2.1
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                [CarevaultClaims.ClientId] = clientId,
                [CarevaultClaims.Tenant] = tenantId,
                [CarevaultClaims.Kind] = kind,
                [CarevaultClaims.Scope] = scopes.ToString(),
            },
        };
        if (role is not null) descriptor.Claims[CarevaultClaims.Role] = role;
        if (fhirUser is not null) descriptor.Claims[CarevaultClaims.FhirUser] = fhirUser;
        return new IssuedToken(_handler.CreateToken(descriptor), lifetime, scopes);
    }

    /// <summary>Validates signature (ES256 only, known kid), issuer, audience, expiry, not-before, and that it is not revoked.</summary>
    public async Task<ClaimsIdentity?> ValidateAsync(string token, string authenticationType, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(token);
        var digest = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
        if (_validated.TryGetValue(digest, out var known))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            if (!(known.NotBefore - ClockSkew <= now && now < known.Expires + ClockSkew))
            {
                _validated.TryRemove(digest, out _);
                return null;
            }
            if (await keys.FindAsync(known.Kid, ct) is null || await revocations.IsRevokedAsync(known.Jti, ct)) return null;
            return new ClaimsIdentity(known.Claims, authenticationType, JwtRegisteredClaimNames.Sub, CarevaultClaims.Role);
        }
        if (!_handler.CanReadToken(token)) return null;
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (jwt.Alg != SigningKeyRing.Algorithm || string.IsNullOrEmpty(jwt.Kid)) return null;
        var key = await keys.FindAsync(jwt.Kid, ct);
        if (key is null) return null;

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            IssuerSigningKey = key.Key,
            ValidAlgorithms = [SigningKeyRing.Algorithm],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return notBefore is { } nbf && expires is { } exp && nbf - ClockSkew <= now && now < exp + ClockSkew;
            },
            AuthenticationType = authenticationType,
            NameClaimType = JwtRegisteredClaimNames.Sub,
            RoleClaimType = CarevaultClaims.Role,
        });
        if (!result.IsValid) return null;
        var jti = result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Jti)?.Value;
        if (jti is null || await revocations.IsRevokedAsync(jti, ct)) return null;
        Remember(digest, new Validated([.. result.ClaimsIdentity.Claims], jwt.Kid, jti, jwt.ValidFrom, jwt.ValidTo));
        return result.ClaimsIdentity;
    }

    void Remember(string digest, Validated validated)
    {
        if (_validated.Count >= MaxValidated)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var (key, value) in _validated)
                if (value.Expires + ClockSkew <= now) _validated.TryRemove(key, out _);
            if (_validated.Count >= MaxValidated) _validated.Clear();
        }
        _validated[digest] = validated;
    }
}
