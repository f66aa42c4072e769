using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Carevault.Server.Observability;

/// <summary>
/// OpenTelemetry tracing, off unless <c>Tracing:OtlpEndpoint</c> is set: spans of ASP.NET Core's own request activity
/// (source <c>Microsoft.AspNetCore</c>, no instrumentation package needed) and Npgsql's commands, exported over OTLP.
/// Spans are named by route template and stripped of URL, path and query tags before export: those can carry patient
/// names and identifiers, which must not leave the server (the same rule as for logs).
/// </summary>
public static class Tracing
{
    static readonly string[] Sources = ["Microsoft.AspNetCore", "Npgsql"];

    public static IServiceCollection AddCarevaultTracing(this IServiceCollection services)
    {
        // Configuration is read when the host starts: test hosts add their settings after services are registered.
        services.AddSingleton<TracingHandle>();
        services.AddHostedService(sp => sp.GetRequiredService<TracingHandle>());
        return services;
    }

    static TracerProvider? Create(IConfiguration configuration)
    {
        var endpoint = configuration["Tracing:OtlpEndpoint"];
        if (string.IsNullOrWhiteSpace(endpoint)) return null;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidOperationException("Tracing:OtlpEndpoint must be an http(s) URL, e.g. http://otel-collector:4318/v1/traces.");
        var protocol = configuration["Tracing:Protocol"] switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            _ => throw new InvalidOperationException("Tracing:Protocol is grpc (default) or http/protobuf."),
        };
        var ratio = configuration.GetValue("Tracing:SampleRatio", 1.0);
        if (ratio is < 0 or > 1) throw new InvalidOperationException("Tracing:SampleRatio is a fraction from 0 to 1.");
        return Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(configuration["Tracing:ServiceName"] ?? "carevault"))
            .AddSource(Sources)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
            .AddProcessor(new RedactingProcessor())
            .AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = uri;
                otlp.Protocol = protocol;
            })
            .Build();
    }

    /// <summary>The tracer provider when tracing is configured (null when off); flushed and disposed when the host stops.</summary>
    public sealed class TracingHandle(IConfiguration configuration) : IHostedService, IDisposable
    {
        public TracerProvider? Provider { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Provider ??= Create(configuration);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Provider?.ForceFlush(5000);
            return Task.CompletedTask;
        }

        public void Dispose() => Provider?.Dispose();
    }

    /// <summary>Names request spans by route template and drops every tag that holds the raw URL, path or query.</summary>
    internal sealed class RedactingProcessor : BaseProcessor<Activity>
    {
        static readonly string[] Unsafe = ["url.full", "url.path", "url.query", "http.url", "http.target", "http.request.header.referer", "user_agent.original"];

        public override void OnEnd(Activity data)
        {
            foreach (var tag in Unsafe)
            {
                if (data.GetTagItem(tag) is not null) data.SetTag(tag, null);
            }
            if (data.GetTagItem("http.route") is string route && data.GetTagItem("http.request.method") is string method)
                data.DisplayName = $"{method} {route}";
            else if (data.Source.Name == "Microsoft.AspNetCore")
                data.DisplayName = "HTTP " + (data.GetTagItem("http.request.method") as string ?? "request");
        }
    }
}
