using System.Text.Json.Serialization;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>POST /oauth/token</c> (RFC 6749 §3.2). Grant: <c>client_credentials</c> (§4.4) for hospital systems.
/// </summary>
public static class TokenEndpoint
{
    public sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] long ExpiresIn,
        [property: JsonPropertyName("scope")] string Scope);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/oauth/token", IssueAsync)
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithTags("OAuth")
            .WithName("Token")
            .WithSummary("Issue an access token (client_credentials). Body: application/x-www-form-urlencoded.")
            .Produces<TokenResponse>()
            .Produces<OAuthError>(StatusCodes.Status400BadRequest)
            .Produces<OAuthError>(StatusCodes.Status401Unauthorized);

    static async Task<IResult> IssueAsync(HttpContext http, ClientStore clients, AccessTokens tokens, CancellationToken ct)
    {
        var (request, malformed) = await OAuthClientRequest.ReadAsync(http, ct);
        if (request is null) return malformed!;

        var grantType = request["grant_type"];
        if (grantType.Length == 0) return OAuthClientRequest.Error(400, "invalid_request", "grant_type is required.");
        if (grantType != "client_credentials") return OAuthClientRequest.Error(400, "unsupported_grant_type", "Supported grant types: client_credentials.");

        var (client, invalid) = await request.AuthenticateAsync(http, clients, ct);
        if (client is null) return invalid!;

        ScopeSet granted;
        if (request.Form.ContainsKey("scope"))
        {
            if (!ScopeSet.TryParse(request["scope"], out var requested) || requested.Values.Count == 0)
                return OAuthClientRequest.Error(400, "invalid_scope", "The scope parameter is malformed.");
            if (!client.Scopes.Covers(requested))
                return OAuthClientRequest.Error(400, "invalid_scope", "A requested scope is not granted to this client.");
            granted = requested;
        }
        else
        {
            granted = client.Scopes;
        }

        var token = await tokens.IssueForClientAsync(client.TenantId, client.Id, granted, client.TokenLifetime, ct);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", (long)token.Lifetime.TotalSeconds, token.Scopes.ToString()));
    }
}
