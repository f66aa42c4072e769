using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Clients;
using Carevault.Identity.People;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Carevault.Api.Tests.Identity;

/// <summary>SMART App Launch (standalone): authorization code with PKCE, consent, and rotating refresh tokens.</summary>
public sealed partial class AuthorizationCodeTests
{
    const string Redirect = "https://app.example/callback";
    const string Password = "patient passphrase!";

    sealed record Setup(string Tenant, string AppId, string PatientId);

    static async Task<Setup> RegisterAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        var patient = await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "pat", Password, Roles.Patient, default);
        Assert.True(ScopeSet.TryParse("patient/*.rs openid fhirUser offline_access", out var scopes));
        var (client, _) = await app.Services.GetRequiredService<ClientStore>().CreateAppAsync(tenant, "My Health App", scopes, [Redirect], isPublic: true, default);
        return new Setup(tenant, client.Id, patient!.Id);
    }

    static (string Verifier, string Challenge) Pkce()
    {
        var verifier = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (verifier, System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    static string AuthorizeUrl(Setup setup, string challenge, string scope = "patient/Observation.rs offline_access", string method = "S256", string redirect = Redirect) =>
        QueryHelpers.AddQueryString("/oauth/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = setup.AppId, ["redirect_uri"] = redirect, ["scope"] = scope, ["state"] = "xyz-123",
            ["code_challenge"] = challenge, ["code_challenge_method"] = method, ["aud"] = "http://127.0.0.1:8080/fhir",
        });

    /// <summary>Signs in through the form, approves on the consent page, returns the redirect.</summary>
    static async Task<Uri> ApproveAsync(HttpClient browser, Setup setup, string challenge, string action = "approve")
    {
        var signInPage = await browser.GetStringAsync(new Uri(AuthorizeUrl(setup, challenge), UriKind.Relative));
        Assert.Contains("My Health App", signInPage, StringComparison.Ordinal);
        var signedIn = await browser.PostAsync(new Uri("/oauth/authorize", UriKind.Relative), new FormUrlEncodedContent(FormOf(signInPage, ("action", "signin"), ("username", "pat"), ("password", Password))));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var consent = await browser.GetAsync(signedIn.Headers.Location);
        Assert.Contains("form-action 'self' https://app.example;", consent.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var consentPage = await consent.Content.ReadAsStringAsync();
        Assert.Contains("patient/Observation.rs", consentPage, StringComparison.Ordinal);
        var decided = await browser.PostAsync(new Uri("/oauth/authorize", UriKind.Relative), new FormUrlEncodedContent(FormOf(consentPage, ("action", action))));
        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        return decided.Headers.Location!;
    }

    static Dictionary<string, string> FormOf(string html, params (string Name, string Value)[] extra)
    {
        var fields = HiddenField().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        foreach (var (name, value) in extra) fields[name] = value;
        return fields;
    }

    static Task<HttpResponseMessage> TokenAsync(HttpClient http, params (string Name, string Value)[] form) =>
        http.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(form.ToDictionary(f => f.Name, f => f.Value)));

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Flow_SignInConsentCodeToken_GivesAPatientTokenAndARefreshToken(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var browser = app.CreateClient();
        using var appBackend = app.CreateClient();
        var setup = await RegisterAsync(app);
        var (verifier, challenge) = Pkce();

        var callback = await ApproveAsync(browser, setup, challenge);

        Assert.StartsWith(Redirect + "?", callback.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("xyz-123", query["state"].ToString());
        var code = query["code"].ToString();
        var wrongVerifier = await TokenAsync(appBackend, ("grant_type", "authorization_code"), ("client_id", setup.AppId), ("code", code), ("redirect_uri", Redirect), ("code_verifier", Pkce().Verifier));
        Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier.StatusCode);
        var retried = await TokenAsync(appBackend, ("grant_type", "authorization_code"), ("client_id", setup.AppId), ("code", code), ("redirect_uri", Redirect), ("code_verifier", verifier));
        Assert.Equal(HttpStatusCode.BadRequest, retried.StatusCode); // a code presented with a wrong verifier is spent

        var (verifier2, challenge2) = Pkce();
        var code2 = QueryHelpers.ParseQuery((await ApproveAsync(browser, setup, challenge2)).Query)["code"].ToString();
        var issued = await TokenAsync(appBackend, ("grant_type", "authorization_code"), ("client_id", setup.AppId), ("code", code2), ("redirect_uri", Redirect), ("code_verifier", verifier2));
        var reused = await TokenAsync(appBackend, ("grant_type", "authorization_code"), ("client_id", setup.AppId), ("code", code2), ("redirect_uri", Redirect), ("code_verifier", verifier2));

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var body = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var jwt = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal(setup.PatientId, jwt.Subject);
        Assert.Equal("patient", jwt.GetClaim("role").Value);
        Assert.Equal("patient/Observation.rs offline_access", body.GetProperty("scope").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));
        Assert.Equal("invalid_grant", (await reused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task RefreshToken_Rotates_AndReuseOfASpentOneRevokesTheFamily()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = app.CreateClient();
        using var http = app.CreateClient();
        var setup = await RegisterAsync(app);
        var (verifier, challenge) = Pkce();
        var code = QueryHelpers.ParseQuery((await ApproveAsync(browser, setup, challenge)).Query)["code"].ToString();
        var first = (await (await TokenAsync(http, ("grant_type", "authorization_code"), ("client_id", setup.AppId), ("code", code), ("redirect_uri", Redirect), ("code_verifier", verifier))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;

        var rotated = await TokenAsync(http, ("grant_type", "refresh_token"), ("client_id", setup.AppId), ("refresh_token", first));
        var second = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;
        var replay = await TokenAsync(http, ("grant_type", "refresh_token"), ("client_id", setup.AppId), ("refresh_token", first));
        var afterTheft = await TokenAsync(http, ("grant_type", "refresh_token"), ("client_id", setup.AppId), ("refresh_token", second));

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, afterTheft.StatusCode); // the whole family is revoked
    }

    [Fact]
    public async Task Authorize_WithUnregisteredRedirect_ShowsAnErrorAndNeverRedirects()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = app.CreateClient();
        var setup = await RegisterAsync(app);

        var response = await browser.GetAsync(new Uri(AuthorizeUrl(setup, Pkce().Challenge, redirect: Redirect + "/evil"), UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("plain", "patient/Observation.rs", "invalid_request")]
    [InlineData("S256", "system/Observation.rs", "invalid_scope")]
    [InlineData("S256", "patient/Observation.cruds", "invalid_scope")] // more than the app was registered for
    public async Task Authorize_WithBadParameters_RedirectsWithTheError(string method, string scope, string error)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = app.CreateClient();
        var setup = await RegisterAsync(app);

        var response = await browser.GetAsync(new Uri(AuthorizeUrl(setup, Pkce().Challenge, scope, method), UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal(error, query["error"].ToString());
        Assert.Equal("xyz-123", query["state"].ToString());
    }

    [Fact]
    public async Task Deny_RedirectsWithAccessDenied()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = app.CreateClient();
        var setup = await RegisterAsync(app);

        var callback = await ApproveAsync(browser, setup, Pkce().Challenge, action: "deny");

        Assert.Equal("access_denied", QueryHelpers.ParseQuery(callback.Query)["error"].ToString());
    }

    [Fact]
    public async Task ConsentPost_WithoutTheAntiforgeryToken_IsRefused()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var browser = app.CreateClient();
        var setup = await RegisterAsync(app);
        var page = await browser.GetStringAsync(new Uri(AuthorizeUrl(setup, Pkce().Challenge), UriKind.Relative));
        var form = FormOf(page, ("action", "signin"), ("username", "pat"), ("password", Password));
        form.Remove(form.Keys.Single(k => k.StartsWith("__RequestVerificationToken", StringComparison.Ordinal)));

        var forged = await browser.PostAsync(new Uri("/oauth/authorize", UriKind.Relative), new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(forged.Headers.Contains("Set-Cookie") && forged.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("cv_session", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ClientCredentials_ForAnApp_IsRefused()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var http = app.CreateClient();
        var setup = await RegisterAsync(app);

        var response = await TokenAsync(http, ("grant_type", "client_credentials"), ("client_id", setup.AppId));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unauthorized_client", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();
}
