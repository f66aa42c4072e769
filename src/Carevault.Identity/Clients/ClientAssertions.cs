using Carevault.Identity.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Carevault.Identity.Clients;

/// <summary>
/// Client authentication by signed JWT assertion (RFC 7523 §2.2; SMART Backend Services "Authenticating to the token
/// endpoint"): <c>iss</c> = <c>sub</c> = client id, <c>aud</c> = this token endpoint, <c>exp</c> at most five minutes
/// ahead, a <c>jti</c> never used before, signed (RS384, ES384, RS256 or ES256) by a key in the client's registered JWKS.
/// </summary>
public sealed class ClientAssertions(ClientStore clients, TokenOptions options, TimeProvider clock)
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);
    static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha384, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
    readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public string Audience => options.Issuer + "/oauth/token";

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="jwks"/> is a JWK set of public signing keys.</summary>
    public static void ValidateJwks(string jwks)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(jwks);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("jwks must be a JSON Web Key Set.", nameof(jwks), e);
        }
        if (set.Keys.Count is 0 or > 10) throw new ArgumentException("jwks must hold 1 to 10 keys.", nameof(jwks));
        foreach (var key in set.Keys)
        {
            if (key.Kty is not ("RSA" or "EC")) throw new ArgumentException("Keys must be RSA or EC.", nameof(jwks));
            // Any private member at all, not only a complete private key (which is all HasPrivateKey reports).
            if (new[] { key.D, key.P, key.Q, key.DP, key.DQ, key.QI, key.K }.Any(v => !string.IsNullOrEmpty(v)))
                throw new ArgumentException("Register public keys only: private key material was sent.", nameof(jwks));
        }
    }

    /// <summary>The authenticated client, or null for any failure (the caller answers invalid_client without detail).</summary>
    public async Task<Client?> AuthenticateAsync(string assertion, CancellationToken ct)
    {
        if (assertion.Length is 0 or > 8192 || !_handler.CanReadToken(assertion)) return null;
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(assertion);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (string.IsNullOrEmpty(jwt.Issuer) || jwt.Subject != jwt.Issuer || string.IsNullOrEmpty(jwt.Id) || jwt.Id.Length > 200) return null;
        if (await clients.FindKeyClientAsync(jwt.Issuer, ct) is not { } registered) return null;

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = registered.Client.Id,
            ValidAudience = Audience,
            IssuerSigningKeys = new JsonWebKeySet(registered.Jwks).GetSigningKeys(),
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            LifetimeValidator = (_, expires, _, _) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return expires is { } exp && now < exp + ClockSkew && exp - now <= MaxLifetime + ClockSkew;
            },
        });
        if (!result.IsValid) return null;
        return await clients.TryUseAssertionAsync(registered.Client.Id, jwt.Id, jwt.ValidTo, ct) ? registered.Client : null;
    }
}
