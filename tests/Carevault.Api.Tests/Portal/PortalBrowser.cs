using System.Net;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// A cookie-keeping HTTP client that reads the portal's pages and posts their forms the way a browser does: with the
/// form's handler name and the anti-forgery token the page carried.
/// </summary>
public sealed partial class PortalBrowser(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public static PortalBrowser Open(CarevaultApp app) => new(app.CreateClient());

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Loads <paramref name="path"/>, then posts the form named <paramref name="handler"/> with its token and these fields.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string path, string handler, IReadOnlyDictionary<string, string> fields, bool withToken = true)
    {
        var (status, html) = await GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, status);
        var form = new Dictionary<string, string>(fields) { ["_handler"] = handler };
        if (withToken) form["__RequestVerificationToken"] = TokenOf(html, handler);
        return await Http.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(form));
    }

    public async Task<HttpResponseMessage> SignInAsync(string tenant, string username, string password, string? code = null)
    {
        var fields = new Dictionary<string, string> { ["Input.Tenant"] = tenant, ["Input.Username"] = username, ["Input.Password"] = password };
        if (code is not null) fields["Input.Code"] = code;
        return await SubmitAsync("/login", "sign-in", fields);
    }

    /// <summary>The anti-forgery token inside the form whose handler is <paramref name="handler"/>.</summary>
    public static string TokenOf(string html, string handler)
    {
        var start = html.IndexOf($"name=\"_handler\" value=\"{handler}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form '{handler}' on the page");
        return Token().Match(html, start).Groups[1].Value;
    }

    public static string Location(HttpResponseMessage response) =>
        response.Headers.Location is { } location ? (location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString) : "";

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
