using Microsoft.AspNetCore.Http.Timeouts;

namespace Carevault.Server.Http;

/// <summary>
/// A time limit on every request (<c>Limits:RequestTimeoutSeconds</c>, default 100; 0 turns it off): past it the
/// request's cancellation token fires, the work stops at its next await, and the caller gets 504 — a slow query or a
/// stalled client cannot hold a connection and a database session for ever. Routes that stream large files opt out
/// with <c>.DisableRequestTimeout()</c>.
/// </summary>
public static class RequestTimeouts
{
    public static IServiceCollection AddCarevaultRequestTimeouts(this IServiceCollection services)
    {
        services.AddRequestTimeouts();
        // Read when the host starts (test hosts add settings after registration); a bad value stops the start.
        services.AddOptions<RequestTimeoutOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            var seconds = configuration.GetValue("Limits:RequestTimeoutSeconds", 100.0);
            if (seconds < 0) throw new InvalidOperationException("Limits:RequestTimeoutSeconds must be 0 (off) or a positive number of seconds.");
            if (seconds > 0)
                options.DefaultPolicy = new RequestTimeoutPolicy { Timeout = TimeSpan.FromSeconds(seconds), TimeoutStatusCode = StatusCodes.Status504GatewayTimeout };
        }).ValidateOnStart();
        return services;
    }
}
