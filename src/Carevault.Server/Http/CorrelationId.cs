using System.Buffers;
using System.Diagnostics;

namespace Carevault.Server.Http;

/// <summary>
/// Gives every request a correlation id: the caller's <c>X-Correlation-Id</c> when it is a safe token, else a new one.
/// It becomes <see cref="HttpContext.TraceIdentifier"/>, is echoed in the response header and is in the logging scope,
/// so every log line of the request carries it.
/// </summary>
public sealed class CorrelationIdMiddleware(RequestDelegate next, ILogger<CorrelationIdMiddleware> logger)
{
    public const string HeaderName = "X-Correlation-Id";
    static readonly SearchValues<char> Safe = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:");

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[HeaderName].ToString();
        var id = IsSafe(incoming) ? incoming : NewId();
        context.TraceIdentifier = id;
        // Set when the response starts: the exception handler clears headers set before it runs.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[HeaderName] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        using (logger.BeginScope(new CorrelationScope(id)))
        {
            await next(context);
        }
    }

    static bool IsSafe(string value) => value.Length is > 0 and <= 64 && !value.AsSpan().ContainsAnyExcept(Safe);

    static string NewId() => Activity.Current?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString();

    /// <summary>A scope the JSON console formatter writes as <c>"CorrelationId": "…"</c>.</summary>
    sealed class CorrelationScope(string id) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public KeyValuePair<string, object> this[int index] => index == 0 ? new("CorrelationId", id) : throw new ArgumentOutOfRangeException(nameof(index));
        public int Count => 1;
        public IEnumerator<KeyValuePair<string, object>> GetEnumerator() { yield return this[0]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => $"CorrelationId:{id}";
    }
}
