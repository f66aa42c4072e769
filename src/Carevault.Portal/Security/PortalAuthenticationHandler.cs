using System.Text.Encodings.Web;
using Carevault.Identity.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Carevault.Portal.Security;

/// <summary>
/// The portal's scheme: who the person is comes from the identity module's session (<c>cv_session</c>) alone — a
/// bearer token never signs anyone in to a page — and a page answers a missing session with a redirect to the sign-in
/// page and a missing right with the "not allowed" page, where the JSON API answers 401/403.
/// </summary>
public sealed class PortalAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Portal";

    // The session handler caches its result per request, so this costs no second session lookup.
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Context.AuthenticateAsync(SessionAuthenticationHandler.SchemeName);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var back = ReturnUrl.IsLocal(Request.Path + Request.QueryString) ? Request.Path.ToString() : "/";
        Response.Redirect("/login?returnUrl=" + Uri.EscapeDataString(back));
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.Redirect("/not-allowed");
        return Task.CompletedTask;
    }
}

/// <summary>Where a page may send the browser after signing in: a path on this site only (no open redirect).</summary>
public static class ReturnUrl
{
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.Length <= 200 && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.AsSpan().ContainsAny('\r', '\n');
}
