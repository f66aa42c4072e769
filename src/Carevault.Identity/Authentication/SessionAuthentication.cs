using System.Security.Claims;
using System.Text.Encodings.Web;
using Carevault.Identity.People;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Carevault.Identity.Authentication;

/// <summary>
/// People's sessions: an opaque random token in the <c>cv_session</c> cookie (HttpOnly, SameSite=Strict, Secure over
/// TLS), looked up server-side so sign-out and password changes end sessions on every instance at once.
/// SameSite=Strict keeps the cookie off cross-site requests, which is the JSON API's CSRF defence; portal forms add
/// anti-forgery tokens on top.
/// A session stands for its person with the implicit scope <c>user/*.cruds</c>: the SMART scope check lets it through
/// and the person's role policy (<see cref="Authorization.AccessPolicy"/>) alone decides what they may do.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SignInService signIn)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";
    public const string CookieName = "cv_session";

    /// <summary>What a session may ask for in SMART terms: everything its person's role allows.</summary>
    public const string ImplicitScopes = "user/*.cruds";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token)) return AuthenticateResult.NoResult();
        var user = await signIn.FindSessionAsync(token, Context.RequestAborted);
        if (user is null) return AuthenticateResult.Fail("invalid_session");
        var identity = new ClaimsIdentity(
        [
            new Claim("sub", user.UserId),
            new Claim(CarevaultClaims.Tenant, user.TenantId),
            new Claim(CarevaultClaims.Kind, "user"),
            new Claim(CarevaultClaims.Role, user.Role),
            new Claim(CarevaultClaims.Scope, ImplicitScopes),
            new Claim("name", user.Username),
        ], SchemeName, "sub", CarevaultClaims.Role);
        if (user.FhirUser is not null) identity.AddClaim(new Claim(CarevaultClaims.FhirUser, user.FhirUser));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    public static void WriteCookie(HttpContext http, string token, DateTimeOffset expires) =>
        http.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        });

    public static void DeleteCookie(HttpContext http) =>
        http.Response.Cookies.Delete(CookieName, new CookieOptions { HttpOnly = true, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = "/" });
}

/// <summary>The default scheme: a bearer token when one is presented, else the session cookie when present.</summary>
public static class CarevaultAuthentication
{
    public const string SchemeName = "Carevault";

    public static string SelectScheme(HttpContext http) =>
        !http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        && http.Request.Cookies.ContainsKey(SessionAuthenticationHandler.CookieName)
            ? SessionAuthenticationHandler.SchemeName
            : BearerAuthenticationHandler.SchemeName;
}
