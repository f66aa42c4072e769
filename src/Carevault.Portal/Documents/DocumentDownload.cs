using Carevault.Identity.Auditing;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Originals;
using Carevault.Portal.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Portal.Documents;

/// <summary>
/// <c>POST /my-documents/original</c>: a patient downloads the original file of one of their own documents. A form post
/// (the document's key in the body, never in the URL; the anti-forgery token checked, as for every form-bound minimal
/// API), audited as a download, answered through the ingestion module's original path (decrypted, its SHA-256
/// verified, <c>Content-Disposition: attachment</c>, no-store). Anything that is not the caller's own answers 404.
/// </summary>
public static class DocumentDownload
{
    public const string Route = "/my-documents/original";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost(Route, DownloadAsync)
            .RequireAuthorization(PortalPolicies.Patient)
            .Audited(AuditAction.Download)
            .WithName("PortalDownloadOriginal")
            .ExcludeFromDescription();
    }

    static async Task<IResult> DownloadAsync([FromForm(Name = "document")] string? document, HttpContext http, PatientDocuments documents, ReportOriginals originals, CancellationToken ct)
    {
        var caller = CallerContext.From(http.User)!;
        var found = await documents.FindOriginalAsync(caller, document, ct);
        if (found is not { } own) return NotFound();
        AuditNotes.Of(http)?.AddEntity(caller.FhirUser!);
        foreach (var reference in own.Job.ResourceList) AuditNotes.Of(http)?.AddEntity(reference);
        AuditNotes.Of(http)?.AddEntity($"Job/{own.Job.Id}");
        return await originals.WriteAsync(http, own.Job, own.Job.ContentType, ct) ? Results.Empty : NotFound();
    }

    static IResult NotFound() => Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: "There is no such document in your record.");
}
