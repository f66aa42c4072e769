using System.Diagnostics;

namespace Carevault.Server.Http;

/// <summary>
/// One log line per request with the route template, never the raw path or query string: those can carry patient
/// names and identifiers (<c>/fhir/Patient?name=…</c>), and health data must not reach logs.
/// </summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            // The request's trace span (when tracing is on) gets the same safe names: route template, never the path.
            Activity.Current?.SetTag("http.request.method", context.Request.Method).SetTag("http.route", route)
                .SetTag("http.response.status_code", context.Response.StatusCode);
            LogRequest(logger, context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Route} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    static partial void LogRequest(ILogger logger, string method, string route, int statusCode, double elapsedMs);
}
