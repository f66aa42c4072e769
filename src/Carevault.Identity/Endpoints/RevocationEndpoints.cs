using System.Security.Claims;
using System.Text.Json.Serialization;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authentication;
using Carevault.Identity.Clients;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>POST /oauth/revoke</c> (RFC 7009) and <c>POST /oauth/introspect</c> (RFC 7662), for authenticated clients.
/// A client may revoke only tokens issued to itself; introspection answers <c>active: true</c> only for a live token
/// of the caller's own tenant — a token of another hospital is, to the caller, simply not active.
/// </summary>
public static class RevocationEndpoints
{
    public sealed record Introspection(
        [property: JsonPropertyName("active")] bool Active,
        [property: JsonPropertyName("scope"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Scope = null,
        [property: JsonPropertyName("client_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientId = null,
        [property: JsonPropertyName("sub"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Subject = null,
        [property: JsonPropertyName("tenant"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tenant = null,
        [property: JsonPropertyName("token_type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TokenType = null,
        [property: JsonPropertyName("exp"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ExpiresAt = null,
        [property: JsonPropertyName("iat"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? IssuedAt = null);

    public static void Map(IEndpointRouteBuilder app)
    {
        var oauth = app.MapGroup("/oauth").AllowAnonymous().DisableAntiforgery().WithTags("OAuth");
        oauth.MapPost("/revoke", RevokeAsync).WithName("Revoke").Audited(AuditAction.TokenRevoke).WithSummary("Revoke an access token issued to the calling client (RFC 7009).")
            .Produces(StatusCodes.Status200OK)
            .Produces<OAuthError>(StatusCodes.Status400BadRequest).Produces<OAuthError>(StatusCodes.Status401Unauthorized);
        oauth.MapPost("/introspect", IntrospectAsync).WithName("Introspect").NotAudited("a resource server asks whether a token is live; the token's own issue is recorded").WithSummary("Is this token active, and for whom? (RFC 7662)")
            .Produces<Introspection>()
            .Produces<OAuthError>(StatusCodes.Status400BadRequest).Produces<OAuthError>(StatusCodes.Status401Unauthorized);
    }

    static async Task<IResult> RevokeAsync(HttpContext http, ClientStore clients, AccessTokens tokens, RevocationList revocations, CancellationToken ct)
    {
        var (request, malformed) = await OAuthClientRequest.ReadAsync(http, ct);
        if (request is null) return malformed!;
        var (client, invalid) = await request.AuthenticateAsync(http, clients, ct);
        if (client is null) return invalid!;
        var hint = request["token_type_hint"];
        if (hint.Length > 0 && hint is not ("access_token" or "refresh_token"))
            return OAuthClientRequest.Error(400, "unsupported_token_type", "Supported token types: access_token.");

        // RFC 7009 §2.2: an invalid or unknown token is answered with 200 too; nothing is revealed.
        var identity = await tokens.ValidateAsync(request["token"], BearerAuthenticationHandler.SchemeName, ct);
        if (identity?.FindFirst(CarevaultClaims.ClientId)?.Value == client.Id
            && identity.FindFirst("jti")?.Value is { } jti
            && long.TryParse(identity.FindFirst("exp")?.Value, out var exp))
            await revocations.RevokeAsync(client.TenantId, jti, DateTimeOffset.FromUnixTimeSeconds(exp), ct);
        return TypedResults.Ok();
    }

    static async Task<IResult> IntrospectAsync(HttpContext http, ClientStore clients, AccessTokens tokens, CancellationToken ct)
    {
        var (request, malformed) = await OAuthClientRequest.ReadAsync(http, ct);
        if (request is null) return malformed!;
        var (client, invalid) = await request.AuthenticateAsync(http, clients, ct);
        if (client is null) return invalid!;
        // RFC 7662 §4: only callers that can authenticate learn about tokens; a public app cannot.
        if (client.IsPublic) return OAuthClientRequest.Error(401, "invalid_client", "Client authentication failed.");
        var identity = await tokens.ValidateAsync(request["token"], BearerAuthenticationHandler.SchemeName, ct);
        if (identity is null || Claim(identity, CarevaultClaims.Tenant) != client.TenantId) return TypedResults.Ok(new Introspection(false));
        return TypedResults.Ok(new Introspection(true, Claim(identity, CarevaultClaims.Scope), Claim(identity, CarevaultClaims.ClientId), Claim(identity, "sub"),
            Claim(identity, CarevaultClaims.Tenant), "Bearer", long.TryParse(Claim(identity, "exp"), out var exp) ? exp : null,
            long.TryParse(Claim(identity, "iat"), out var iat) ? iat : null));
    }

    static string? Claim(ClaimsIdentity identity, string type) => identity.FindFirst(type)?.Value;
}
