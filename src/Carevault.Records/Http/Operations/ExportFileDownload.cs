using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Export;
using Carevault.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// Bulk Data Access IG v2 file request (export.html#file-request): <c>GET [base]/$export-file/[id]/[name]</c> streams
/// one NDJSON file of a completed export (<c>application/fhir+ndjson</c>), decrypted on the way out. Only the tenant and
/// requester that kicked the export off may fetch it (else 404), and only while their token still allows reading the
/// file's type; each download is audited.
/// </summary>
internal static class ExportFileDownload
{
    public const string NdjsonType = "application/fhir+ndjson";

    public static void Map(IEndpointRouteBuilder group) =>
        group.MapGet("/$export-file/{id}/{name}", GetAsync).WithName("FhirExportFile").Audited(AuditAction.Download);

    static async Task<IResult> GetAsync(HttpContext http, string id, string name, ExportJobStore jobs, EncryptedBlobStore blobs, FhirAccess access, CancellationToken ct)
    {
        if (CallerContext.From(http.User) is not { } caller)
            return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        var job = await jobs.GetAsync(caller.TenantId, ExportJob.RequesterOf(caller), id, ct);
        var file = job is { Status: ExportJob.Completed } ? job.Files.FirstOrDefault(f => f.Name == name) : null;
        if (file is null) return ExportStatus.NotFound(http);
        var permit = access.Decide(caller, file.Type, ClinicalAction.Read);
        if (permit.Error is { } denied) return OperationOutcomes.From(http, denied);
        if (permit.Value!.PerTarget)
            return OperationOutcomes.Create(http, StatusCodes.Status403Forbidden, "forbidden", "Bulk export is not available to callers whose access depends on the resource.");
        AuditedReferences.Query(http, [new("_export", id), new("file", name)]);
        var stream = await blobs.OpenReadAsync(ExportRunner.BlobKey(job!, name), ct);
        if (stream is null) return ExportStatus.NotFound(http);
        return Results.Stream(stream, NdjsonType);
    }
}
