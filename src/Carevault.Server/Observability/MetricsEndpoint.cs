using Carevault.Identity.Auditing;
using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Carevault.Server.Observability;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format. Anonymous (scrapers carry no tokens), so it answers only callers in
/// <c>Metrics:AllowedNetworks</c> — loopback by default — and 404 to everyone else; <c>Metrics:Enabled=false</c>
/// removes it. Metrics hold counts and route templates, never ids or paths, but still reveal load and routes.
/// </summary>
public static class MetricsEndpoint
{
    public static IServiceCollection AddCarevaultMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<CarevaultMetrics>();
        services.AddSingleton<PrometheusExporter>();
        return services;
    }

    public static void MapCarevaultMetrics(this WebApplication app)
    {
        if (!app.Configuration.GetValue("Metrics:Enabled", true)) return;
        var exporter = app.Services.GetRequiredService<PrometheusExporter>(); // listen from the start
        var allowed = AllowedNetworks(app.Configuration);
        app.MapGet("/metrics", (HttpContext context) => Scrape(context, exporter, allowed))
           .WithName("Metrics").ExcludeFromDescription().AllowAnonymous().NotAudited("aggregate counters by route template: no data");
    }

    static Results<ContentHttpResult, NotFound> Scrape(HttpContext context, PrometheusExporter exporter, IPNetwork[] allowed)
    {
        if (!IsAllowed(context.Connection.RemoteIpAddress, allowed)) return TypedResults.NotFound();
        return TypedResults.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8");
    }

    /// <summary>A null address is a Unix socket or named pipe (or the in-process test server): local, like loopback.</summary>
    static bool IsAllowed(IPAddress? remote, IPNetwork[] allowed)
    {
        if (remote is null) return true;
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        foreach (var network in allowed) if (network.Contains(remote)) return true;
        return false;
    }

    /// <summary><c>Metrics:AllowedNetworks</c>: CIDR blocks, an array or one <c>;</c>-separated string.</summary>
    public static IPNetwork[] AllowedNetworks(IConfiguration configuration)
    {
        var list = Configuration.CarevaultConfiguration.List(configuration, "Metrics:AllowedNetworks");
        if (list.Length == 0) list = ["127.0.0.0/8", "::1/128"];
        return [.. list.Select(cidr => IPNetwork.TryParse(cidr, out var network)
            ? network
            : throw new InvalidOperationException($"Metrics:AllowedNetworks: '{cidr}' is not a CIDR block (10.0.0.0/8)."))];
    }
}
