using System.Text;
using System.Text.Json.Serialization;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>POST /oauth/token</c> (RFC 6749 §3.2). Grant: <c>client_credentials</c> (§4.4) for hospital systems, the client
/// authenticated by HTTP Basic (§2.3.1) or by <c>client_id</c>/<c>client_secret</c> in the form. Errors use the
/// RFC's JSON form (§5.2) and never say whether the id or the secret was wrong.
/// </summary>
public static class TokenEndpoint
{
    public sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] long ExpiresIn,
        [property: JsonPropertyName("scope")] string Scope);

    public sealed record OAuthError(
        [property: JsonPropertyName("error")] string Error,
        [property: JsonPropertyName("error_description")] string Description);

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
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        if (!http.Request.HasFormContentType)
            return Error(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.");
        var form = await http.Request.ReadFormAsync(ct);
        foreach (var (name, values) in form)
            if (values.Count > 1) return Error(400, "invalid_request", $"Parameter '{name}' was given more than once.");

        var basic = TryReadBasic(http.Request.Headers.Authorization.ToString(), out var basicId, out var basicSecret);
        if (basic is false) return Error(400, "invalid_request", "Malformed Authorization header.");
        var formId = form["client_id"].ToString();
        var formSecret = form["client_secret"].ToString();
        if (basic is true && formSecret.Length > 0)
            return Error(400, "invalid_request", "Use one client authentication method, not two.");
        var (clientId, secret) = basic is true ? (basicId!, basicSecret!) : (formId, formSecret);

        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0) return Error(400, "invalid_request", "grant_type is required.");
        if (grantType != "client_credentials") return Error(400, "unsupported_grant_type", "Supported grant types: client_credentials.");
        if (clientId.Length == 0 || secret.Length == 0 || clientId.Length > 200 || secret.Length > 200)
            return InvalidClient(http);

        var client = await clients.AuthenticateAsync(clientId, secret, ct);
        if (client is null) return InvalidClient(http);

        ScopeSet granted;
        if (form.ContainsKey("scope"))
        {
            if (!ScopeSet.TryParse(form["scope"], out var requested) || requested.Values.Count == 0)
                return Error(400, "invalid_scope", "The scope parameter is malformed.");
            if (!client.Scopes.Covers(requested))
                return Error(400, "invalid_scope", "A requested scope is not granted to this client.");
            granted = requested;
        }
        else
        {
            granted = client.Scopes;
        }

        var token = await tokens.IssueForClientAsync(client.TenantId, client.Id, granted, client.TokenLifetime, ct);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", (long)token.Lifetime.TotalSeconds, token.Scopes.ToString()));
    }

    static JsonHttpResult<OAuthError> InvalidClient(HttpContext http)
    {
        // RFC 6749 §5.2: 401 with a challenge for the authentication scheme the endpoint supports.
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"carevault\"";
        return Error(401, "invalid_client", "Client authentication failed.");
    }

    static JsonHttpResult<OAuthError> Error(int status, string error, string description) =>
        TypedResults.Json(new OAuthError(error, description), statusCode: status);

    /// <summary>null: no Basic header; false: malformed; true: decoded (RFC 6749 §2.3.1: both parts form-url-encoded).</summary>
    static bool? TryReadBasic(string header, out string? id, out string? secret)
    {
        id = secret = null;
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) return false;
            id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
