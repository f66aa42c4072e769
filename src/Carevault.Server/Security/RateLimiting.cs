using System.Security.Claims;
using System.Threading.RateLimiting;
using Carevault.Records.Http;
using Carevault.Server.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Carevault.Server.Security;

/// <summary>
/// One global limiter (ASP.NET Core's, token buckets) with three kinds of partition: the credential endpoints
/// (token, sign-in, password reset) per client IP, strictest, against password and secret guessing; signed-in callers
/// per tenant and subject; everyone else per IP. A rejected request gets 429 with Retry-After, as problem+json on the
/// JSON API and as an OperationOutcome (code <c>throttled</c>) under /fhir. Defaults are generous — a burst of 100
/// sign-ins from one address passes — so one busy integration or a test run is not throttled; operators tighten them.
/// Behind a reverse proxy every caller shares the proxy's address unless forwarded headers are trusted (not yet).
/// </summary>
public static class RateLimiting
{
    static readonly HashSet<string> CredentialEndpoints = new(StringComparer.Ordinal) { "Token", "SignIn", "RequestPasswordReset", "ConfirmPasswordReset" };

    static bool IsCredentialEndpoint(string name) => CredentialEndpoints.Contains(name) || Portal.PortalModule.CredentialPages.Values.Contains(name);

    /// <summary>One token bucket: up to <see cref="Burst"/> requests at once, refilled by <see cref="PermitsPerSecond"/>.</summary>
    public sealed record Bucket(int Burst, int PermitsPerSecond)
    {
        public static Bucket From(IConfiguration configuration, string name, Bucket fallback)
        {
            var section = configuration.GetSection($"RateLimits:{name}");
            var bucket = new Bucket(section.GetValue("Burst", fallback.Burst), section.GetValue("PermitsPerSecond", fallback.PermitsPerSecond));
            if (bucket.Burst <= 0 || bucket.PermitsPerSecond <= 0)
                throw new InvalidOperationException($"RateLimits:{name}: Burst and PermitsPerSecond must be positive.");
            return bucket;
        }

        public TokenBucketRateLimiterOptions Options() => new()
        {
            TokenLimit = Burst,
            TokensPerPeriod = PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    public sealed record Limits(bool Enabled, Bucket Credentials, Bucket Authenticated, Bucket Anonymous)
    {
        public static Limits From(IConfiguration configuration) => new(
            configuration.GetValue("RateLimits:Enabled", true),
            Bucket.From(configuration, "Credentials", new Bucket(100, 10)),
            Bucket.From(configuration, "Authenticated", new Bucket(1000, 200)),
            Bucket.From(configuration, "Anonymous", new Bucket(1000, 100)));
    }

    public static IServiceCollection AddCarevaultRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            var limits = Limits.From(configuration);
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRejectedAsync;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var ip = context.Connection.RemoteIpAddress?.ToString() ?? "local"; // null: Unix socket or in-process
                if (context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>() is { } name && IsCredentialEndpoint(name.EndpointName))
                    return RateLimitPartition.GetTokenBucketLimiter("credentials:" + ip, _ => limits.Credentials.Options());
                if (context.User.Identity?.IsAuthenticated == true)
                {
                    var subject = context.User.FindFirstValue("sub") ?? context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
                    var tenant = context.User.FindFirstValue("tenant") ?? "";
                    return RateLimitPartition.GetTokenBucketLimiter($"user:{tenant}:{subject}", _ => limits.Authenticated.Options());
                }
                return RateLimitPartition.GetTokenBucketLimiter("ip:" + ip, _ => limits.Anonymous.Options());
            });
        });
        return services;
    }

    /// <summary>After authentication (partitions by the signed-in subject) and routing (knows the endpoint's name).</summary>
    public static IApplicationBuilder UseCarevaultRateLimiting(this WebApplication app) =>
        Limits.From(app.Configuration).Enabled ? app.UseRateLimiter() : app;

    static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var detail = $"Too many requests from this caller; retry after {retryAfter} s.";
        if (FhirErrorSurface.Handles(context))
        {
            await FhirErrorSurface.WriteAsync(context, StatusCodes.Status429TooManyRequests, "throttled", detail);
            return;
        }
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = ProblemTypes.Uri(ProblemTypes.TooManyRequests),
                Title = "Too many requests.",
                Detail = detail,
            },
        });
    }
}
