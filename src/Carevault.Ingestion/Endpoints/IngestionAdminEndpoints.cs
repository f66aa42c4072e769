using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Ingestion.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Ingestion.Endpoints;

/// <summary>Administrators of a tenant: its quarantined originals and dead-lettered jobs, and a retry for the latter.</summary>
internal static class IngestionAdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").RequireAuthorization().WithTags("Administration")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/quarantine", (HttpContext http, JobStore jobs, string? cursor, CancellationToken ct) => ListAsync(http, jobs, new JobFilter { Quarantined = true, Before = cursor }, ct))
            .WithName("ListQuarantine").Audited(AuditAction.JobRead).WithSummary("Quarantined report files (kept encrypted, never parsed) with the reason.");
        group.MapGet("/jobs/dead-letters", (HttpContext http, JobStore jobs, string? cursor, CancellationToken ct) => ListAsync(http, jobs, new JobFilter { Status = JobStatus.DeadLetter, Before = cursor }, ct))
            .WithName("ListDeadLetters").Audited(AuditAction.JobRead).WithSummary("Jobs that failed every attempt.");
        group.MapPost("/jobs/{id}/retry", RetryAsync).WithName("RetryJob").Audited(AuditAction.Admin)
            .WithSummary("Send a dead-lettered or failed job round again with fresh attempts.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    static async Task<Results<Ok<Page<JobResponse>>, ProblemHttpResult>> ListAsync(HttpContext http, JobStore jobs, JobFilter filter, CancellationToken ct)
    {
        var caller = IngestionResults.Caller(http);
        if (IngestionResults.Deny(AccessPolicy.Administer(caller, caller.TenantId)) is { } denied) return denied;
        var page = await jobs.ListAsync(caller.TenantId, filter with { Limit = 101 }, ct);
        var items = page.Take(100).Select(JobResponse.From).ToList();
        return TypedResults.Ok(new Page<JobResponse>(items, page.Count > 100 ? items[^1].JobId : null));
    }

    static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> RetryAsync(string id, HttpContext http, JobStore jobs, JobSignal signal, TimeProvider clock, CancellationToken ct)
    {
        AuditNotes.Of(http)?.AddEntity($"Job/{id}");
        var caller = IngestionResults.Caller(http);
        if (IngestionResults.Deny(AccessPolicy.Administer(caller, caller.TenantId)) is { } denied) return denied;
        var retried = await jobs.RetryAsync(caller.TenantId, id, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        if (retried is null) return IngestionResults.NotFound();
        if (retried == false) return IngestionResults.Problem(409, "job-not-retryable", "The request conflicts with the current state.", "Only dead-lettered or failed jobs that are not quarantined can be retried.");
        signal.Notify();
        return TypedResults.Ok(JobResponse.From((await jobs.GetAsync(caller.TenantId, id, ct))!));
    }
}
