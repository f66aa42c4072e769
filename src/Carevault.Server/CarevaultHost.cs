using Carevault.Audit;
using Carevault.Identity;
using Carevault.Identity.Auditing;
using Carevault.Ingestion;
using Carevault.Portal;
using Carevault.Records;
using Carevault.Server.Configuration;
using Carevault.Server.Health;
using Carevault.Server.Http;
using Carevault.Server.Observability;
using Carevault.Server.Security;
using Carevault.Server.Startup;
using Carevault.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Carevault.Server;

/// <summary>Builds the web application: the one list of modules and middleware.</summary>
public static class CarevaultHost
{
    /// <param name="configArgs">Command-line configuration (<c>--Key=Value</c>).</param>
    /// <param name="namedOptions">Values of the CLI's named options, highest precedence.</param>
    /// <param name="configure">Last changes to the builder (tests put the server on a test host here).</param>
    public static WebApplication Build(string[] configArgs, IReadOnlyDictionary<string, string?> namedOptions, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = configArgs,
            EnvironmentName = Environment.GetEnvironmentVariable("CAREVAULT_ENVIRONMENT"),
        });
        builder.Configuration.AddCarevaultSources(builder.Environment.EnvironmentName, configArgs, namedOptions);
        builder.AddCarevaultLogging();

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => HttpLimits.From(sp.GetRequiredService<IConfiguration>()));
        services.Configure<KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Server:ShutdownTimeoutSeconds", 30)));
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.MaxDepth = 64);
        services.AddCarevaultProblemDetails();
        services.AddCarevaultHardening();
        services.AddCarevaultProxyHeaders();
        services.AddCarevaultMetrics();
        services.AddCarevaultTracing();
        services.AddCarevaultRequestTimeouts();
        services.AddCarevaultRateLimiting();
        services.AddCarevaultStorage(builder.Configuration);
        services.AddCarevaultHealth();
        services.AddCarevaultIdentity(builder.Configuration);
        services.AddCarevaultRecords(builder.Configuration);
        services.AddCarevaultIngestion(builder.Configuration);
        services.AddCarevaultAudit();
        services.AddCarevaultPortal();
        services.AddSingleton<BootstrapAdmin>();
        services.AddHostedService<DatabaseStartup>();
        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Carevault API";
            document.Info.Description = "Health-records platform: JSON API. The FHIR R4 API at /fhir is described by /fhir/metadata.";
            return Task.CompletedTask;
        }));

        configure?.Invoke(builder);
        // The portal's files are listed in "<application>.staticwebassets.*.json" beside this assembly, whoever hosts it.
        builder.Environment.ApplicationName = typeof(CarevaultHost).Assembly.GetName().Name!;
        builder.UseCarevaultPortalAssets();
        var app = builder.Build();
        app.UseCarevaultProxyHeaders();
        app.UseMiddleware<CorrelationIdMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseCarevaultHardening();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseAuthentication();
        app.UseCarevaultRateLimiting();
        app.UseAuthorization();
        app.UseRequestTimeouts();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous().NotAudited("the API description");
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "docs";
            ui.SwaggerEndpoint("/openapi/v1.json", "Carevault API v1");
            ui.DocumentTitle = "Carevault API";
        });
        app.MapCarevaultHealth();
        app.MapCarevaultMetrics();
        app.MapCarevaultIdentity();
        app.MapCarevaultRecords();
        app.MapCarevaultIngestion();
        app.MapCarevaultAudit();
        app.MapCarevaultPortal();
        return app;
    }

    static void AddCarevaultLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // ASP.NET's own request logs print the full URL, which can carry patient names: ours print route templates.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Hosting's per-request scope carries the raw path into every log line; the correlation id replaces it.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
    }
}
