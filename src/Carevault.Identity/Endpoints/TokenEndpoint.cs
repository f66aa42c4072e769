using System.Text.Json.Serialization;
using Carevault.Identity.Auditing;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>POST /oauth/token</c> (RFC 6749 §3.2). Grants: <c>client_credentials</c> (§4.4) for hospital systems;
/// <c>authorization_code</c> with PKCE (§4.1, RFC 7636) and rotating <c>refresh_token</c> (§6) for apps acting for a person.
/// </summary>
public static class TokenEndpoint
{
    public sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] long ExpiresIn,
        [property: JsonPropertyName("scope")] string Scope,
        [property: JsonPropertyName("refresh_token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken = null,
        [property: JsonPropertyName("patient"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Patient = null);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/oauth/token", IssueAsync)
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithTags("OAuth")
            .WithName("Token")
            .Audited(AuditAction.TokenIssue)
            .WithSummary("Issue an access token (client_credentials). Body: application/x-www-form-urlencoded.")
            .Produces<TokenResponse>()
            .Produces<OAuthError>(StatusCodes.Status400BadRequest)
            .Produces<OAuthError>(StatusCodes.Status401Unauthorized);

    static async Task<IResult> IssueAsync(HttpContext http, ClientStore clients, AccessTokens tokens, AuthorizationGrants grants, CancellationToken ct)
    {
        var (request, malformed) = await OAuthClientRequest.ReadAsync(http, ct);
        if (request is null) return malformed!;

        var grantType = request["grant_type"];
        if (grantType.Length == 0) return OAuthClientRequest.Error(400, "invalid_request", "grant_type is required.");
        if (grantType is not ("client_credentials" or "authorization_code" or "refresh_token"))
            return OAuthClientRequest.Error(400, "unsupported_grant_type", "Supported grant types: client_credentials, authorization_code, refresh_token.");

        var (client, invalid) = await request.AuthenticateAsync(http, clients, ct);
        if (client is null) return invalid!;
        if (grantType == "authorization_code") return await RedeemCodeAsync(request, client, tokens, grants, ct);
        if (grantType == "refresh_token") return await RefreshAsync(http, request, client, tokens, grants, ct);
        if (client.IsApp) return OAuthClientRequest.Error(400, "unauthorized_client", "Apps act for a signed-in person: use authorization_code.");

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

    static async Task<IResult> RedeemCodeAsync(OAuthClientRequest request, Client client, AccessTokens tokens, AuthorizationGrants grants, CancellationToken ct)
    {
        if (!client.IsApp) return OAuthClientRequest.Error(400, "unauthorized_client", "This client is not registered for authorization_code.");
        var access = await grants.RedeemCodeAsync(client, request["code"], request["redirect_uri"], request["code_verifier"], ct);
        if (access is null) return OAuthClientRequest.Error(400, "invalid_grant", "The code is invalid, expired, used, or does not match the verifier or redirect URI.");
        return await IssueUserTokensAsync(client, access, familyId: null, tokens, grants, ct);
    }

    static async Task<IResult> RefreshAsync(HttpContext http, OAuthClientRequest request, Client client, AccessTokens tokens, AuthorizationGrants grants, CancellationToken ct)
    {
        var (rotated, reused) = await grants.RotateRefreshTokenWithReasonAsync(client, request["refresh_token"], ct);
        if (reused) AuditNotes.Of(http)?.Detail = "refresh-token-reuse: the token family is revoked";
        if (rotated is null) return OAuthClientRequest.Error(400, "invalid_grant", "The refresh token is invalid, expired or revoked.");
        var (access, refresh) = rotated.Value;
        var token = await tokens.IssueForUserAsync(access.TenantId, access.UserId, access.Role, access.FhirUser, client.Id, access.Scopes, client.TokenLifetime, ct);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", (long)token.Lifetime.TotalSeconds, token.Scopes.ToString(), refresh, PatientContext(access)));
    }

    static async Task<IResult> IssueUserTokensAsync(Client client, GrantedAccess access, string? familyId, AccessTokens tokens, AuthorizationGrants grants, CancellationToken ct)
    {
        var token = await tokens.IssueForUserAsync(access.TenantId, access.UserId, access.Role, access.FhirUser, client.Id, access.Scopes, client.TokenLifetime, ct);
        // A refresh token only when the person granted offline or online access (SMART App Launch, scopes).
        var refresh = access.Scopes.Values.Any(v => v is "offline_access" or "online_access")
            ? await grants.IssueRefreshTokenAsync(client, access, familyId, ct)
            : null;
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", (long)token.Lifetime.TotalSeconds, token.Scopes.ToString(), refresh, PatientContext(access)));
    }

    /// <summary>
    /// SMART App Launch 2.0 (scopes-and-launch-context, launch context arrives with the access token): a token with
    /// <c>patient/</c> scopes or <c>launch/patient</c> names its patient in <c>patient</c>. The patient is the person's own
    /// linked Patient: Carevault has no patient picker, so a person without one gets no patient context.
    /// </summary>
    static string? PatientContext(GrantedAccess access)
    {
        var wantsPatient = access.Scopes.Values.Contains("launch/patient") || access.Scopes.Clinical.Any(s => s.Context == ScopeContext.Patient);
        const string prefix = "Patient/";
        return wantsPatient && access.FhirUser is { } fhirUser && fhirUser.StartsWith(prefix, StringComparison.Ordinal) ? fhirUser[prefix.Length..] : null;
    }
}
