using Carevault.Identity.Auditing;
using Carevault.Storage.Blobs;
using Carevault.Storage.Database;
using Carevault.Storage.Migrations;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Carevault.Server.Health;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: the database answers, its schema is current and the
/// blob store takes writes — what a load balancer needs before sending traffic.
/// </summary>
public static class HealthEndpoints
{
    const string Ready = "ready";

    public sealed record HealthReport(string Status, IReadOnlyDictionary<string, string> Checks);

    public static IServiceCollection AddCarevaultHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: [Ready])
            .AddCheck<MigrationsCheck>("migrations", tags: [Ready])
            .AddCheck<BlobStoreCheck>("blobs", tags: [Ready]);
        return services;
    }

    public static void MapCarevaultHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health").AllowAnonymous().NotAudited("liveness and readiness: no data");
        group.MapGet("/live", () => TypedResults.Ok(new HealthReport("Healthy", new Dictionary<string, string>())))
            .WithName("Live").WithSummary("The process is running.");
        group.MapGet("/ready", ReadyAsync)
            .WithName("Ready").WithSummary("Database reachable, migrations current, blob store writable.")
            .Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
    }

    static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> ReadyAsync(HealthCheckService health, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(Ready), ct);
        var body = new HealthReport(report.Status.ToString(), report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()));
        return report.Status == HealthStatus.Healthy
            ? TypedResults.Ok(body)
            : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    sealed class DatabaseCheck(Db db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            try
            {
                await using var connection = await db.OpenAsync(ct);
                await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct));
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("database unreachable", e);
            }
        }
    }

    sealed class MigrationsCheck(Migrator migrator) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            try
            {
                var status = await migrator.GetStatusAsync(ct);
                return status.IsCurrent ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"{status.Pending.Count} migrations pending");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("migration status unknown", e);
            }
        }
    }

    sealed class BlobStoreCheck(IBlobStore blobs) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            try
            {
                await blobs.CheckWritableAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("blob store not writable", e);
            }
        }
    }
}
