using System.Diagnostics;
using System.Reflection;
using Carevault.Identity.Tenants;
using Carevault.Ingestion;
using Carevault.Ingestion.Scanning;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Carevault.Portal.Admin;

/// <summary>One line of the health page: what was checked, whether it is ready, and a short reason when not.</summary>
public sealed record StatusLine(string Name, string State, bool Ok, string? Note = null);

/// <summary>What the system health page shows.</summary>
public sealed record SystemReport(IReadOnlyList<StatusLine> Checks, long OpenJobs, string Version, TimeSpan Uptime, DateTimeOffset CheckedAt);

/// <summary>
/// The administrator's view of the server's readiness: the same health checks as <c>/health/ready</c> (database,
/// migrations, blob store, through <see cref="HealthCheckService"/>), the virus scanner (a connection to clamd when one
/// is configured), the tenant's share of the ingestion queue, the version and the uptime. Reasons are the checks'
/// short descriptions, never exception text (which can name hosts and paths).
/// </summary>
public sealed class SystemStatus(HealthCheckService health, IngestionOptions ingestion, AdminConsole console, TimeProvider clock)
{
    static readonly string Version = typeof(SystemStatus).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public async Task<SystemReport> CheckAsync(CallerContext caller, CancellationToken ct)
    {
        AdminConsole.Require(caller);
        var report = await health.CheckHealthAsync(check => check.Tags.Contains("ready"), ct);
        var lines = report.Entries
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => new StatusLine(Label(e.Key), e.Value.Status.ToString(), e.Value.Status == HealthStatus.Healthy, e.Value.Status == HealthStatus.Healthy ? null : e.Value.Description))
            .ToList();
        lines.Add(await ScannerAsync(ct));
        var open = await console.OpenJobsAsync(caller, ct);
        var now = clock.GetUtcNow();
        var started = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
        return new SystemReport(lines, open, Version, now > started ? now - started : TimeSpan.Zero, now);
    }

    async Task<StatusLine> ScannerAsync(CancellationToken ct)
    {
        if (ingestion.ClamAvEndpoint is not { } endpoint)
            return new StatusLine("Virus scanner", "Not configured", true, "Uploads are checked by the built-in signature check only (Scanning:ClamAv:Endpoint is not set).");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await using var session = await new ClamAvClient(endpoint, TimeSpan.FromSeconds(5)).StartAsync(timeout.Token);
            return new StatusLine("Virus scanner", "Healthy", true);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new StatusLine("Virus scanner", "Unhealthy", false, "clamd does not answer; uploads are refused until it does.");
        }
    }

    static string Label(string check) => check switch
    {
        "database" => "Database",
        "migrations" => "Database schema",
        "blobs" => "Blob store",
        _ => check,
    };
}
