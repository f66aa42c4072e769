using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.Server.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Observability;

/// <summary>Spans reach an OTLP endpoint (a tiny OTLP/HTTP receiver on 127.0.0.1) when, and only when, one is configured.</summary>
public sealed class TracingTests
{
    /// <summary>Collects the bodies POSTed to /v1/traces (OTLP protobuf: strings appear as raw UTF-8).</summary>
    sealed class OtlpReceiver : IDisposable
    {
        readonly HttpListener _listener = new();
        readonly Task _loop;

        public OtlpReceiver()
        {
            Port = CarevaultProcess.FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public int Port { get; }
        public ConcurrentQueue<(string Path, byte[] Body)> Requests { get; } = new();

        async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (HttpListenerException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Requests.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public string AllText => string.Join("\n", Requests.Select(r => Encoding.UTF8.GetString(r.Body)));

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task Tracing_WithAnOtlpEndpoint_ExportsRequestSpansByRouteWithoutPathsOrQueries()
    {
        using var receiver = new OtlpReceiver();
        var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Tracing:OtlpEndpoint"] = $"http://127.0.0.1:{receiver.Port}/v1/traces",
            ["Tracing:Protocol"] = "http/protobuf",
            ["Tracing:ServiceName"] = "carevault-under-test",
        });
        await using (app)
        {
            using var client = app.CreateClient();
            await client.GetAsync(new Uri("/health/live", UriKind.Relative));
            await client.GetAsync(new Uri("/fhir/Patient/secret-patient-id?name=Secretname", UriKind.Relative));
            Assert.NotNull(app.Services.GetRequiredService<Tracing.TracingHandle>().Provider);
        } // stopping the host flushes the exporter

        Assert.Contains(receiver.Requests, r => r.Path == "/v1/traces");
        var text = receiver.AllText;
        Assert.Contains("carevault-under-test", text, StringComparison.Ordinal);
        Assert.Contains("GET /health/live", text, StringComparison.Ordinal);
        Assert.Contains("/fhir/{type}/{id}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-patient-id", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Secretname", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tracing_WithoutAnEndpoint_IsOff()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);

        Assert.Null(app.Services.GetRequiredService<Tracing.TracingHandle>().Provider);
    }
}
