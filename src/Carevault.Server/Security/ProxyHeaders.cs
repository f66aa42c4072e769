using System.Net;
using Carevault.Server.Configuration;
using Microsoft.AspNetCore.HttpOverrides;

namespace Carevault.Server.Security;

/// <summary>
/// Behind a reverse proxy or load balancer every connection comes from the proxy. With <c>Proxy:KnownProxies</c> set,
/// the client address (<c>X-Forwarded-For</c>) and scheme (<c>X-Forwarded-Proto</c>) reported by the nearest listed
/// proxy replace the connection's, so per-IP rate limits, the audit trail and HTTPS redirection see the real caller.
/// The headers are ignored from anyone not listed (a client could otherwise pick its own address), and only the
/// last hop is taken (what the proxy itself saw).
/// </summary>
public static class ProxyHeaders
{
    /// <summary>The proxies' addresses from <c>Proxy:KnownProxies</c>: an array section or one <c>;</c>-separated string.</summary>
    public static IPAddress[] KnownProxies(IConfiguration configuration)
    {
        return CarevaultConfiguration.List(configuration, "Proxy:KnownProxies").Select(text => IPAddress.TryParse(text, out var address)
            ? address
            : throw new InvalidOperationException($"Proxy:KnownProxies: '{text}' is not an IP address.")).ToArray();
    }

    public static IServiceCollection AddCarevaultProxyHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = 1;
            // The defaults trust loopback; only the configured proxies are trusted here.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in KnownProxies(configuration)) options.KnownProxies.Add(proxy);
        });
        return services;
    }

    public static IApplicationBuilder UseCarevaultProxyHeaders(this WebApplication app) =>
        KnownProxies(app.Configuration).Length > 0 ? app.UseForwardedHeaders() : app;
}
