using System.Text.Json.Serialization;
using Carevault.Identity.Auditing;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>/.well-known/jwks.json</c>: the public keys that verify Carevault tokens (RFC 7517), and
/// <c>/.well-known/smart-configuration</c>: SMART App Launch 2.0 discovery, stating only what is implemented.
/// </summary>
public static class DiscoveryEndpoints
{
    public sealed record Jwk(
        [property: JsonPropertyName("kty")] string Kty,
        [property: JsonPropertyName("crv")] string Crv,
        [property: JsonPropertyName("x")] string X,
        [property: JsonPropertyName("y")] string Y,
        [property: JsonPropertyName("kid")] string Kid,
        [property: JsonPropertyName("use")] string Use,
        [property: JsonPropertyName("alg")] string Alg);

    public sealed record JwkSet([property: JsonPropertyName("keys")] IReadOnlyList<Jwk> Keys);

    public sealed record SmartConfiguration(
        [property: JsonPropertyName("issuer")] string Issuer,
        [property: JsonPropertyName("jwks_uri")] string JwksUri,
        [property: JsonPropertyName("authorization_endpoint")] string AuthorizationEndpoint,
        [property: JsonPropertyName("token_endpoint")] string TokenEndpoint,
        [property: JsonPropertyName("grant_types_supported")] IReadOnlyList<string> GrantTypesSupported,
        [property: JsonPropertyName("token_endpoint_auth_methods_supported")] IReadOnlyList<string> TokenEndpointAuthMethodsSupported,
        [property: JsonPropertyName("token_endpoint_auth_signing_alg_values_supported")] IReadOnlyList<string> TokenEndpointAuthSigningAlgValuesSupported,
        [property: JsonPropertyName("revocation_endpoint")] string RevocationEndpoint,
        [property: JsonPropertyName("introspection_endpoint")] string IntrospectionEndpoint,
        [property: JsonPropertyName("scopes_supported")] IReadOnlyList<string> ScopesSupported,
        [property: JsonPropertyName("response_types_supported")] IReadOnlyList<string> ResponseTypesSupported,
        [property: JsonPropertyName("code_challenge_methods_supported")] IReadOnlyList<string> CodeChallengeMethodsSupported,
        [property: JsonPropertyName("capabilities")] IReadOnlyList<string> Capabilities);

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/.well-known").AllowAnonymous().WithTags("Discovery").NotAudited("public keys and discovery documents");
        group.MapGet("/jwks.json", JwksAsync).WithName("Jwks").WithSummary("Public keys that verify access tokens.");
        group.MapGet("/smart-configuration", Smart).WithName("SmartConfiguration").WithSummary("SMART on FHIR discovery.");
    }

    static async Task<Ok<JwkSet>> JwksAsync(SigningKeyRing keys, HttpContext http, CancellationToken ct)
    {
        await keys.CurrentAsync(ct); // the first key exists before anyone needs to verify with it
        var jwks = (await keys.KeysAsync(ct)).Select(k => new Jwk("EC", "P-256", k.X, k.Y, k.Kid, "sig", SigningKeyRing.Algorithm)).ToList();
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new JwkSet(jwks));
    }

    static Ok<SmartConfiguration> Smart(TokenOptions options) => TypedResults.Ok(new SmartConfiguration(
        options.Issuer,
        options.Issuer + "/.well-known/jwks.json",
        options.Issuer + "/oauth/authorize",
        options.Issuer + "/oauth/token",
        ["client_credentials", "authorization_code", "refresh_token"],
        ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        ["RS384", "ES384", "RS256", "ES256"],
        options.Issuer + "/oauth/revoke",
        options.Issuer + "/oauth/introspect",
        ["system/*.cruds", "system/*.rs", "patient/*.rs", "user/*.cruds", "launch/patient", "offline_access", "online_access"],
        ["code"],
        ["S256"],
        ["launch-standalone", "context-standalone-patient", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric", "permission-offline", "permission-online", "permission-patient", "permission-user", "permission-v2"]));
}
