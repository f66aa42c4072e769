using System.Text;
using System.Text.Encodings.Web;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authentication;
using Carevault.Identity.Clients;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// <c>/oauth/authorize</c> (RFC 6749 §4.1; SMART App Launch, standalone): a registered app asks a person for access.
/// The redirect URI must match a registered one exactly — otherwise the error is shown here, never redirected;
/// PKCE with S256 is required (RFC 7636; "plain" is refused). The person signs in if needed, then sees the requested
/// scopes and approves or denies. Forms carry anti-forgery tokens; approval redirects with a single-use code.
/// </summary>
public static class AuthorizeEndpoint
{
    sealed record AuthorizeRequest(Client Client, string RedirectUri, string State, ScopeSet Scopes, string CodeChallenge, IReadOnlyDictionary<string, string> Raw);

    static readonly string[] Carried = ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "aud"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/oauth/authorize").AllowAnonymous().WithTags("OAuth").ExcludeFromDescription();
        group.MapGet("", ShowAsync).WithName("Authorize").NotAudited("shows the consent page; the decision is recorded");
        group.MapPost("", DecideAsync).WithName("AuthorizeDecision").DisableAntiforgery().Audited(AuditAction.TokenIssue); // validated explicitly below
    }

    static async Task<IResult> ShowAsync(HttpContext http, ClientStore clients, TokenOptions options, IAntiforgery antiforgery, CancellationToken ct)
    {
        var raw = Carried.ToDictionary(k => k, k => http.Request.Query[k].ToString());
        var (request, failure) = await ValidateAsync(raw, clients, options, ct);
        if (request is null) return failure!;
        var caller = CallerContext.From(http.User);
        return caller is { Kind: "user" } && caller.TenantId == request.Client.TenantId
            ? Consent(http, antiforgery, request)
            : SignInForm(http, antiforgery, request, error: null);
    }

    static async Task<IResult> DecideAsync(HttpContext http, ClientStore clients, TokenOptions options, IAntiforgery antiforgery, SignInService signIn, AuthorizationGrants grants, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(http))
            return Page(400, "Request refused", "<p>This form has expired or did not come from Carevault. Go back to the app and start again.</p>");
        var form = await http.Request.ReadFormAsync(ct);
        var raw = Carried.ToDictionary(k => k, k => form[k].ToString());
        var (request, failure) = await ValidateAsync(raw, clients, options, ct);
        if (request is null) return failure!;

        switch (form["action"].ToString())
        {
            case "signin":
                var session = await signIn.SignInAsync(request.Client.TenantId, form["username"].ToString(), form["password"].ToString(), ct);
                if (session is null) return SignInForm(http, antiforgery, request, "The sign-in details are not valid, or the account is temporarily locked.");
                SessionAuthenticationHandler.WriteCookie(http, session.Token, session.ExpiresAt);
                // Post/redirect/get: the consent page is then rendered for the signed-in person, with a token bound to them.
                return Results.Redirect(QueryHelpers.AddQueryString("/oauth/authorize", raw!), permanent: false);
            case "deny":
                return Results.Redirect(Callback(request, ("error", "access_denied")));
            case "approve":
                if (CallerContext.From(http.User) is not { Kind: "user" } caller || caller.TenantId != request.Client.TenantId)
                    return SignInForm(http, antiforgery, request, error: null);
                var code = await grants.IssueCodeAsync(request.Client, caller.Subject, request.RedirectUri, request.Scopes, request.CodeChallenge, ct);
                return Results.Redirect(Callback(request, ("code", code)));
            default:
                return Page(400, "Request refused", "<p>Unknown action.</p>");
        }
    }

    static async Task<(AuthorizeRequest? Request, IResult? Failure)> ValidateAsync(Dictionary<string, string> raw, ClientStore clients, TokenOptions options, CancellationToken ct)
    {
        var client = await clients.FindActiveAsync(raw["client_id"], ct);
        if (client is not { IsApp: true } || !client.RedirectUris.Contains(raw["redirect_uri"], StringComparer.Ordinal))
            return (null, Page(400, "Unknown app", "<p>This app or its return address is not registered with this Carevault server, so it cannot be sent there.</p>"));

        var partial = new AuthorizeRequest(client, raw["redirect_uri"], raw["state"], ScopeSet.Empty, "", raw);
        if (raw["response_type"] != "code") return (null, Results.Redirect(Callback(partial, ("error", "unsupported_response_type"))));
        var challenge = raw["code_challenge"];
        if (raw["code_challenge_method"] != "S256" || challenge.Length is < 43 or > 128 || challenge.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            return (null, Results.Redirect(Callback(partial, ("error", "invalid_request"), ("error_description", "PKCE with code_challenge_method=S256 is required."))));
        if (raw["aud"].Length > 0 && raw["aud"].TrimEnd('/') != options.Audience)
            return (null, Results.Redirect(Callback(partial, ("error", "invalid_request"), ("error_description", "aud is not this server's FHIR endpoint."))));
        if (!ScopeSet.TryParse(raw["scope"], out var scopes) || scopes.Values.Count == 0 || scopes.Clinical.Any(s => s.Context == ScopeContext.System) || !client.Scopes.Covers(scopes))
            return (null, Results.Redirect(Callback(partial, ("error", "invalid_scope"))));
        return (partial with { Scopes = scopes, CodeChallenge = challenge }, null);
    }

    static string Callback(AuthorizeRequest request, params (string Name, string Value)[] parameters)
    {
        var values = parameters.ToDictionary(p => p.Name, p => (string?)p.Value);
        if (request.State.Length > 0) values["state"] = request.State;
        return QueryHelpers.AddQueryString(request.RedirectUri, values);
    }

    static IResult SignInForm(HttpContext http, IAntiforgery antiforgery, AuthorizeRequest request, string? error)
    {
        var body = new StringBuilder();
        body.Append("<p><strong>").Append(Html(request.Client.Name)).Append("</strong> asks to reach your Carevault record. Sign in first.</p>");
        if (error is not null) body.Append("<p role=\"alert\">").Append(Html(error)).Append("</p>");
        body.Append(FormStart(http, antiforgery, request))
            .Append("<p><label for=\"username\">Username</label><br><input id=\"username\" name=\"username\" autocomplete=\"username\" required></p>")
            .Append("<p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>")
            .Append("<p><button name=\"action\" value=\"signin\">Sign in</button></p></form>");
        return Page(error is null ? 200 : 401, "Sign in", body.ToString());
    }

    static IResult Consent(HttpContext http, IAntiforgery antiforgery, AuthorizeRequest request)
    {
        var body = new StringBuilder();
        body.Append("<p><strong>").Append(Html(request.Client.Name)).Append("</strong> asks for this access to your Carevault record:</p><ul>");
        foreach (var scope in request.Scopes.Values) body.Append("<li>").Append(Html(Describe(scope))).Append(" <code>").Append(Html(scope)).Append("</code></li>");
        // The decision posts to us and is answered with a redirect to the app: CSP form-action covers that redirect,
        // so this page allows exactly the app's registered origin besides our own.
        var appOrigin = new Uri(request.RedirectUri).GetLeftPart(UriPartial.Authority);
        http.Response.Headers.ContentSecurityPolicy =
            $"default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self' {appOrigin}; frame-ancestors 'none'";
        body.Append("</ul><p>You can withdraw it later by signing out of the app.</p>")
            .Append(FormStart(http, antiforgery, request))
            .Append("<p><button name=\"action\" value=\"approve\">Allow</button> <button name=\"action\" value=\"deny\">Deny</button></p></form>");
        return Page(200, "Allow access?", body.ToString());
    }

    static string FormStart(HttpContext http, IAntiforgery antiforgery, AuthorizeRequest request)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var form = new StringBuilder("<form method=\"post\" action=\"/oauth/authorize\">");
        form.Append("<input type=\"hidden\" name=\"").Append(Html(tokens.FormFieldName)).Append("\" value=\"").Append(Html(tokens.RequestToken!)).Append("\">");
        foreach (var (name, value) in request.Raw)
            form.Append("<input type=\"hidden\" name=\"").Append(name).Append("\" value=\"").Append(Html(value)).Append("\">");
        return form.ToString();
    }

    static string Describe(string scope)
    {
        if (!SmartScope.TryParse(scope, out var smart))
        {
            return scope switch
            {
                "openid" or "fhirUser" or "profile" => "Know who you are",
                "offline_access" => "Keep access when you are not using the app",
                "online_access" => "Keep access while you use the app",
                "launch/patient" => "Know which patient record to open",
                _ => "Other access",
            };
        }
        var verbs = new List<string>();
        if (smart.Permissions.HasFlag(ScopePermissions.Read) || smart.Permissions.HasFlag(ScopePermissions.Search)) verbs.Add("read");
        if (smart.Permissions.HasFlag(ScopePermissions.Create)) verbs.Add("add");
        if (smart.Permissions.HasFlag(ScopePermissions.Update)) verbs.Add("change");
        if (smart.Permissions.HasFlag(ScopePermissions.Delete)) verbs.Add("delete");
        var what = smart.ResourceType == "*" ? "all" : smart.ResourceType;
        var whose = smart.Context == ScopeContext.Patient ? "in your record" : "that you can see";
        return $"{char.ToUpperInvariant(verbs[0][0])}{string.Join(", ", verbs)[1..]} {what} entries {whose}";
    }

    static IResult Page(int status, string title, string body) => Results.Content($$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{Html(title)}} — Carevault</title></head>
        <body><main><h1>{{Html(title)}}</h1>{{body}}</main></body></html>
        """, "text/html; charset=utf-8", Encoding.UTF8, status);

    static string Html(string value) => HtmlEncoder.Default.Encode(value);
}
