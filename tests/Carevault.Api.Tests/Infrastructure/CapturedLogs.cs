using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Carevault.Api.Tests.Infrastructure;

/// <summary>Keeps every log line the server writes, fully rendered: message, state values, scopes and exception.</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<LogLine> Lines { get; } = new();

    public sealed record LogLine(string Category, LogLevel Level, string Text, IReadOnlyDictionary<string, string> Scope);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (key, value) in values) text.Append(' ').Append(key).Append('=').Append(value);
            if (exception is not null) text.Append(' ').Append(exception);
            var scope = new Dictionary<string, string>();
            owner._scopes.ForEachScope((item, _) =>
            {
                text.Append(" scope:").Append(item);
                if (item is IEnumerable<KeyValuePair<string, object>> pairs)
                    foreach (var (key, value) in pairs) scope[key] = value?.ToString() ?? "";
            }, (object?)null);
            owner.Lines.Enqueue(new LogLine(category, logLevel, text.ToString(), scope));
        }
    }
}
