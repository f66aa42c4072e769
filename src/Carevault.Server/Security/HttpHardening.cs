using Carevault.Server.Configuration;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.HttpsPolicy;

namespace Carevault.Server.Security;

/// <summary>
/// Browser-facing hardening: security headers on every response, CORS by an explicit allow-list (none by default),
/// and HTTPS redirection with HSTS only when an https:// address is configured (a plain-HTTP deployment behind a
/// TLS-terminating proxy must not redirect to a port nobody listens on).
/// </summary>
public static class HttpHardening
{
    /// <summary>
    /// 'self' only, so the Swagger UI at /docs (its scripts and styles are files under /docs) still renders; swagger-ui
    /// sets style attributes and draws icons as data: images, hence the two exceptions. frame-ancestors 'none' is the
    /// CSP form of X-Frame-Options: DENY (both are sent for older browsers).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    const string CorsPolicy = "Carevault";

    public static IServiceCollection AddCarevaultHardening(this IServiceCollection services)
    {
        services.AddCors();
        // Options read the final configuration (hosts and tests add sources after the services are listed).
        services.AddOptions<CorsOptions>().Configure<IConfiguration>((cors, configuration) => cors.AddPolicy(CorsPolicy, policy =>
            // An empty allow-list admits no cross-origin caller; the wildcard is refused by ConfigurationReport.
            policy.WithOrigins(AllowedOrigins(configuration)).AllowAnyHeader().AllowAnyMethod()
                  .WithExposedHeaders("Location", "ETag", "Retry-After", "X-Correlation-Id")));
        services.AddOptions<HstsOptions>().Configure(hsts =>
        {
            hsts.MaxAge = TimeSpan.FromDays(365);
            hsts.IncludeSubDomains = true;
        });
        services.AddOptions<HttpsRedirectionOptions>().Configure<IConfiguration>((https, configuration) => https.HttpsPort = HttpsPort(configuration));
        return services;
    }

    public static IApplicationBuilder UseCarevaultHardening(this WebApplication app)
    {
        // On starting, not now: the exception handler clears the headers of a failed response before writing the problem.
        app.Use(static (context, next) =>
        {
            context.Response.OnStarting(AddSecurityHeaders, context.Response);
            return next(context);
        });
        if (HttpsPort(app.Configuration) is not null)
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }
        app.UseCors(CorsPolicy);
        return app;
    }

    static Task AddSecurityHeaders(object state)
    {
        var headers = ((HttpResponse)state).Headers;
        // An endpoint may set a narrower or page-specific policy (the OAuth consent page must let its form lead on to
        // the app's registered redirect URI); otherwise the default applies.
        if (string.IsNullOrEmpty(headers.ContentSecurityPolicy)) headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        return Task.CompletedTask;
    }

    /// <summary>Origins from <c>Cors:AllowedOrigins</c>: an array section or one <c>;</c>-separated string.</summary>
    public static string[] AllowedOrigins(IConfiguration configuration) => CarevaultConfiguration.List(configuration, "Cors:AllowedOrigins");

    /// <summary>The port of the first https:// address in <c>Urls</c>, or null when the server speaks only HTTP.</summary>
    public static int? HttpsPort(IConfiguration configuration)
    {
        foreach (var url in (configuration["Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) continue;
            var normalized = url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal);
            return Uri.TryCreate(normalized, UriKind.Absolute, out var uri) ? uri.Port : 443;
        }
        return null;
    }
}
