using Microsoft.Extensions.Configuration;

namespace Carevault.Identity.Tokens;

/// <summary>
/// Where tokens come from and are meant for. <c>PublicUrl</c> is the address clients use (behind a load balancer,
/// the balancer's); it is both the token issuer and, with <c>/fhir</c>, the audience — the same on every instance.
/// </summary>
public sealed record TokenOptions(string Issuer, string Audience)
{
    public static TokenOptions From(IConfiguration configuration)
    {
        var publicUrl = configuration["PublicUrl"];
        if (string.IsNullOrWhiteSpace(publicUrl))
            publicUrl = (configuration["Urls"] ?? "http://127.0.0.1:8080").Split(';')[0].Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal);
        publicUrl = publicUrl.TrimEnd('/');
        if (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new InvalidOperationException("PublicUrl must be the absolute http:// or https:// address clients use, without query or fragment.");
        return new TokenOptions(publicUrl, publicUrl + "/fhir");
    }
}
