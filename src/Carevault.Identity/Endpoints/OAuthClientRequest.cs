using System.Text;
using System.Text.Json.Serialization;
using Carevault.Identity.Auditing;
using Carevault.Identity.Clients;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Identity.Endpoints;

/// <summary>An OAuth error in the JSON form of RFC 6749 §5.2.</summary>
public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description);

/// <summary>
/// What the OAuth endpoints (token, revocation, introspection) share: a form body with each parameter once, and a
/// client authenticated by HTTP Basic (RFC 6749 §2.3.1), <c>client_id</c>/<c>client_secret</c> in the form, or a signed
/// <c>client_assertion</c> (RFC 7523 §2.2) — exactly one of them. Failures never say whether the id or the secret was wrong.
/// </summary>
internal sealed class OAuthClientRequest
{
    OAuthClientRequest(IFormCollection form, string clientId, string secret, string? assertion = null)
    {
        Form = form;
        ClientId = clientId;
        Secret = secret;
        Assertion = assertion;
    }

    public IFormCollection Form { get; }
    string ClientId { get; }
    string Secret { get; }
    string? Assertion { get; }

    public string this[string name] => Form[name].ToString();

    /// <summary>Reads the form and the client credentials; an error result when the request is malformed.</summary>
    public static async Task<(OAuthClientRequest? Request, JsonHttpResult<OAuthError>? Error)> ReadAsync(HttpContext http, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        if (!http.Request.HasFormContentType)
            return (null, Error(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded."));
        var form = await http.Request.ReadFormAsync(ct);
        foreach (var (name, values) in form)
            if (values.Count > 1) return (null, Error(400, "invalid_request", $"Parameter '{name}' was given more than once."));

        if (form.ContainsKey("client_assertion_type") || form.ContainsKey("client_assertion"))
        {
            if (form["client_assertion_type"].ToString() != ClientAssertions.AssertionType)
                return (null, Error(400, "invalid_request", $"client_assertion_type must be {ClientAssertions.AssertionType}."));
            if (http.Request.Headers.Authorization.Count > 0 || form.ContainsKey("client_secret"))
                return (null, Error(400, "invalid_request", "Use one client authentication method, not two."));
            return (new OAuthClientRequest(form, "", "", form["client_assertion"].ToString()), null);
        }

        var basic = TryReadBasic(http.Request.Headers.Authorization.ToString(), out var basicId, out var basicSecret);
        if (basic is false) return (null, Error(400, "invalid_request", "Malformed Authorization header."));
        var formSecret = form["client_secret"].ToString();
        if (basic is true && formSecret.Length > 0)
            return (null, Error(400, "invalid_request", "Use one client authentication method, not two."));
        return basic is true
            ? (new OAuthClientRequest(form, basicId!, basicSecret!), null)
            : (new OAuthClientRequest(form, form["client_id"].ToString(), formSecret), null);
    }

    static string AuditNoteText(string clientId) => clientId.Length > 200 ? clientId[..200] : clientId;

    /// <summary>The authenticated, active client, or the RFC's <c>invalid_client</c> answer.</summary>
    public async Task<(Client? Client, JsonHttpResult<OAuthError>? Error)> AuthenticateAsync(HttpContext http, ClientStore clients, CancellationToken ct)
    {
        var client = Assertion is not null
            ? await http.RequestServices.GetRequiredService<ClientAssertions>().AuthenticateAsync(Assertion, ct)
            : ClientId.Length is > 0 and <= 200 && Secret.Length is > 0 and <= 200
                ? await clients.AuthenticateAsync(ClientId, Secret, ct)
                : Secret.Length == 0 && await clients.FindActiveAsync(ClientId, ct) is { IsPublic: true } publicApp
                    ? publicApp // a public app identifies itself by client_id; PKCE is its proof (checked by the grant)
                    : null;
        if (client is not null)
        {
            AuditNotes.Of(http)?.Actor = new AuditActor(client.TenantId, client.Id, "client");
            return (client, null);
        }
        AuditNotes.Of(http)?.Actor = new AuditActor(null, AuditNoteText(ClientId), "anonymous");
        // RFC 6749 §5.2: 401 with a challenge for the authentication scheme the endpoint supports.
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"carevault\"";
        return (null, Error(401, "invalid_client", "Client authentication failed."));
    }

    public static JsonHttpResult<OAuthError> Error(int status, string error, string description) =>
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
