using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Ingestion.Endpoints;

/// <summary>
/// <c>/api/jobs</c>: follow, list and cancel ingestion jobs of the caller's tenant. Who submitted a job may always
/// see and cancel it; reading other submitters' jobs takes report read rights (AccessPolicy.Reports).
/// </summary>
internal static class JobEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/jobs").RequireAuthorization().WithTags("Reports")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/{id}", GetAsync).WithName("GetJob").Audited(AuditAction.JobRead).WithSummary("One ingestion job: state, timestamps, resources or problem.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("", ListAsync).WithName("ListJobs").Audited(AuditAction.JobRead).WithSummary("The tenant's jobs, newest first; filter by status and submitter; keyset paging by cursor.")
            .ProducesValidationProblem();
        group.MapPost("/{id}/cancel", CancelAsync).WithName("CancelJob").Audited(AuditAction.Admin).WithSummary("Cancel a pending job (409 once a worker has it).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    static bool MaySee(CallerContext caller, IngestionJob job) =>
        job.Submitter == caller.Subject || AccessPolicy.Reports(caller, job.TenantId, ReportAction.Read) == Access.Allowed;

    static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetAsync(string id, HttpContext http, JobStore jobs, CancellationToken ct)
    {
        AuditNotes.Of(http)?.AddEntity($"Job/{id}");
        var caller = IngestionResults.Caller(http);
        var job = await jobs.GetAsync(caller.TenantId, id, ct);
        if (job is null) return IngestionResults.NotFound();
        if (!MaySee(caller, job)) return IngestionResults.Problem(403, "forbidden", "The caller may not do this.");
        return TypedResults.Ok(JobResponse.From(job));
    }

    static async Task<Results<Ok<Page<JobResponse>>, ValidationProblem>> ListAsync(HttpContext http, JobStore jobs, string? status, string? submitter, string? cursor, int? limit,
        CancellationToken ct)
    {
        var caller = IngestionResults.Caller(http);
        if (status is not null && !JobStatus.All.Contains(status))
            return Invalid("status", $"status is one of {string.Join(", ", JobStatus.All)}.");
        if (limit is < 1 or > 200) return Invalid("limit", "limit is 1-200.");
        // Without report search rights a caller lists its own submissions only.
        if (AccessPolicy.Reports(caller, caller.TenantId, ReportAction.Search) != Access.Allowed)
        {
            if (submitter is not null && submitter != caller.Subject) return TypedResults.Ok(new Page<JobResponse>([], null));
            submitter = caller.Subject;
        }
        var size = limit ?? 50;
        var page = await jobs.ListAsync(caller.TenantId, new JobFilter { Status = status, Submitter = submitter, Before = cursor, Limit = size + 1 }, ct);
        var items = page.Take(size).Select(JobResponse.From).ToList();
        return TypedResults.Ok(new Page<JobResponse>(items, page.Count > size ? items[^1].JobId : null));
    }

    static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> CancelAsync(string id, HttpContext http, JobStore jobs, TimeProvider clock, CancellationToken ct)
    {
        AuditNotes.Of(http)?.AddEntity($"Job/{id}");
        var caller = IngestionResults.Caller(http);
        var job = await jobs.GetAsync(caller.TenantId, id, ct);
        if (job is null) return IngestionResults.NotFound();
        if (job.Submitter != caller.Subject && AccessPolicy.Administer(caller, job.TenantId) != Access.Allowed)
            return IngestionResults.Problem(403, "forbidden", "The caller may not do this.", "Only the submitter or an administrator cancels a job.");
        var cancelled = await jobs.CancelAsync(caller.TenantId, id, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        if (cancelled is null) return IngestionResults.NotFound();
        if (cancelled == false) return IngestionResults.Problem(409, "job-not-pending", "The request conflicts with the current state.", "Only a pending job can be cancelled.");
        return TypedResults.Ok(JobResponse.From((await jobs.GetAsync(caller.TenantId, id, ct))!));
    }

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
