using System.Globalization;
using Carevault.Identity.Auditing;
using Carevault.Identity.Tenants;
using Carevault.Records.Export;
using Carevault.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// Bulk Data Access IG v2 status (export.html#bulk-data-status-request): <c>GET [base]/$export-status/[id]</c> answers
/// 202 with <c>X-Progress</c> and <c>Retry-After</c> while the export runs, 200 with the manifest when done, 500 with an
/// OperationOutcome when it failed; <c>DELETE</c> cancels it and deletes its files (202). Only the tenant and the
/// requester (client or user) that kicked it off see it: to everyone else, and once cancelled or expired, it is 404.
/// </summary>
internal static class ExportStatus
{
    public static void Map(IEndpointRouteBuilder group)
    {
        group.MapGet("/$export-status/{id}", GetAsync).WithName("FhirExportStatus")
            .NotAudited("polls the caller's own export: names no resource and returns no health data (the kick-off and each file download are audited)");
        group.MapDelete("/$export-status/{id}", CancelAsync).WithName("FhirExportCancel").Audited(AuditAction.Delete);
    }

    static async Task<IResult> GetAsync(HttpContext http, string id, ExportJobStore jobs, ExportOptions options, CancellationToken ct)
    {
        if (CallerContext.From(http.User) is not { } caller)
            return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        var job = await jobs.GetAsync(caller.TenantId, ExportJob.RequesterOf(caller), id, ct);
        if (job is null) return NotFound(http);
        switch (job.Status)
        {
            case ExportJob.Completed:
                var manifest = FhirResult.Json(w =>
                {
                    var baseUrl = FhirRequest.BaseUrl(http.Request);
                    w.WriteStartObject();
                    w.WriteString("transactionTime", DateTimeOffset.FromUnixTimeMilliseconds(job.TransactionTime).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                    w.WriteString("request", job.RequestUrl);
                    w.WriteBoolean("requiresAccessToken", true);
                    w.WriteStartArray("output");
                    foreach (var file in job.Files)
                    {
                        w.WriteStartObject();
                        w.WriteString("type", file.Type);
                        w.WriteString("url", $"{baseUrl}/$export-file/{job.Id}/{file.Name}");
                        w.WriteNumber("count", file.Count);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("error");
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                http.Response.Headers.Expires = DateTimeOffset.FromUnixTimeMilliseconds(job.ExpiresAt ?? job.TransactionTime).ToString("R", CultureInfo.InvariantCulture);
                return Results.Text(manifest, "application/json", System.Text.Encoding.UTF8, StatusCodes.Status200OK);
            case ExportJob.Failed:
                return OperationOutcomes.Create(http, StatusCodes.Status500InternalServerError, "exception", "The export failed; kick it off again.");
            default:
                var progress = job.Progress ?? (job.Status == ExportJob.Pending ? "queued" : "in progress");
                return new FhirResult(StatusCodes.Status202Accepted, null, new Dictionary<string, string>
                {
                    ["X-Progress"] = progress,
                    ["Retry-After"] = Math.Max(1, (int)Math.Ceiling(options.PollInterval.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
                });
        }
    }

    static async Task<IResult> CancelAsync(HttpContext http, string id, ExportJobStore jobs, EncryptedBlobStore blobs, TimeProvider clock, CancellationToken ct)
    {
        if (CallerContext.From(http.User) is not { } caller)
            return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        var job = await jobs.CancelAsync(caller.TenantId, ExportJob.RequesterOf(caller), id, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        if (job is null) return NotFound(http);
        // A running export's worker removes what it wrote when it finds its lease gone; the worker's sweep removes the row.
        foreach (var file in job.Files) await blobs.DeleteAsync(ExportRunner.BlobKey(job, file.Name), CancellationToken.None);
        return OperationOutcomes.Create(http, StatusCodes.Status202Accepted, "informational", "The export was cancelled and its files deleted.");
    }

    internal static FhirResult NotFound(HttpContext http) =>
        OperationOutcomes.Create(http, StatusCodes.Status404NotFound, "not-found", "There is no such export.");
}
