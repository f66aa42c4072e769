using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Intake;
using Carevault.Ingestion.Jobs;
using Carevault.Ingestion.Originals;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Carevault.Ingestion.Endpoints;

/// <summary>
/// <c>/api/reports</c>: upload a report file (raw body, or multipart with metadata fields first and one file part),
/// download its original, list the hospital's reports (optionally one patient's, by identifier or name).
/// </summary>
internal static class ReportEndpoints
{
    public sealed record ReportItem(string ReportId, JobResponse Job, IReadOnlyList<string> Resources, string Original);

    public static void Map(IEndpointRouteBuilder app, IngestionOptions options)
    {
        var group = app.MapGroup("/api/reports").RequireAuthorization().WithTags("Reports")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapPost("", UploadAsync).WithName("UploadReport").Audited(AuditAction.Upload)
            .WithSummary("Submit a report file (HL7 v2, DICOM, PDF, FHIR JSON): 202 with the job; its Location follows it.")
            .WithMetadata(new BodySizeLimit(options.MaxUploadBytes))
            .Produces<JobResponse>(StatusCodes.Status202Accepted).Produces<JobResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/{id}/original", OriginalAsync).WithName("GetReportOriginal").Audited(AuditAction.Download)
            .WithSummary("The original file, decrypted and checked against its SHA-256; supports Range.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status416RangeNotSatisfiable);
        group.MapGet("", ListAsync).WithName("ListReports").Audited(AuditAction.JobRead)
            .WithSummary("The hospital's reports, newest first, each with its job, resources and original; ?patient= an identifier or a name.");
    }

    static async Task<IResult> UploadAsync(HttpContext http, ReportIntake intake, IngestionOptions options, CancellationToken ct)
    {
        var caller = IngestionResults.Caller(http);
        var key = http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } k ? k : null;
        IntakeResult result;
        if (MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var parsed = await SubmitMultipartAsync(http, media, caller, intake, options, key, ct);
            if (parsed.Error is { } formError) return formError;
            result = parsed.Result!;
        }
        else
        {
            result = await intake.SubmitAsync(caller, http.Request.ContentType, http.Request.Body, ReportMetadata.None, key, ct);
        }
        if (result.Error is { } error) return IngestionResults.From(error);
        var job = result.Job!;
        AuditNotes.Of(http)?.AddEntity($"Job/{job.Id}");
        var response = JobResponse.From(job);
        var location = $"/api/jobs/{job.Id}";
        if (result.Replayed)
        {
            http.Response.Headers.Location = location;
            return TypedResults.Ok(response);
        }
        return TypedResults.Accepted(location, response);
    }

    static readonly HashSet<string> Fields = ["patientIdentifier", "reportType", "reportDate", "source"];

    /// <summary>Reads metadata fields up to the file part, then streams the file part into the intake.</summary>
    static async Task<(IntakeResult? Result, IResult? Error)> SubmitMultipartAsync(HttpContext http, MediaTypeHeaderValue media, CallerContext caller,
        ReportIntake intake, IngestionOptions options, string? key, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
            return (null, Invalid("file", "A multipart/form-data body needs a boundary."));
        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = options.MaxUploadBytes };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        MultipartSection? section;
        try
        {
            while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFormDisposition() && !disposition.IsFileDisposition())
                    return (null, Invalid("file", "Every part needs Content-Disposition: form-data with a name."));
                if (disposition.IsFileDisposition())
                {
                    var (system, value) = ReportMetadata.ParseIdentifier(fields.GetValueOrDefault("patientIdentifier"));
                    var metadata = new ReportMetadata
                    {
                        PatientIdentifierSystem = system,
                        PatientIdentifierValue = value,
                        ReportType = fields.GetValueOrDefault("reportType"),
                        ReportDate = fields.GetValueOrDefault("reportDate"),
                        Source = fields.GetValueOrDefault("source"),
                    };
                    // Fields after the file are not read: the job is recorded as soon as the file is stored.
                    return (await intake.SubmitAsync(caller, section.ContentType, section.Body, metadata, key, ct), null);
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (!Fields.Contains(name)) return (null, Invalid(name.Length is > 0 and <= 64 ? name : "field", $"Unknown field; the fields are {string.Join(", ", Fields)} and one file."));
                using var text = new StreamReader(section.Body);
                var buffer = new char[1025];
                var length = await text.ReadBlockAsync(buffer, ct);
                if (length > 1024) return (null, Invalid(name, "A metadata field is at most 1024 characters."));
                fields[name] = new string(buffer, 0, length).Trim();
            }
        }
        catch (InvalidDataException)
        {
            // MultipartReader: malformed framing or a section over its limits.
            return (null, Invalid("file", "The multipart body is malformed."));
        }
        return (null, Invalid("file", "The form has no file part."));
    }

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    static async Task<IResult> OriginalAsync(string id, HttpContext http, JobStore jobs, ReportOriginals originals, CancellationToken ct)
    {
        AuditNotes.Of(http)?.AddEntity($"Job/{id}");
        var caller = IngestionResults.Caller(http);
        var job = await jobs.GetAsync(caller.TenantId, id, ct);
        if (job is null) return IngestionResults.NotFound();
        // A quarantined original is handed to the tenant's administrators only, as an opaque download.
        var quarantined = job.Quarantined != 0;
        var access = quarantined ? AccessPolicy.Administer(caller, job.TenantId) : AccessPolicy.Reports(caller, job.TenantId, ReportAction.Read);
        if (IngestionResults.Deny(access) is { } denied) return denied;
        var contentType = quarantined ? "application/octet-stream" : job.ContentType;
        if (http.Request.Headers.Range.Count > 0)
        {
            // Ranges: every chunk read is authenticated by AES-GCM, so a changed byte fails the read; the whole-file
            // SHA-256 is checked on full downloads. ASP.NET Core answers 206 or 416 from the seekable plaintext stream.
            var ranged = await originals.OpenAsync(http, job, ct);
            return ranged is null ? Missing() : TypedResults.Stream(ranged, contentType, enableRangeProcessing: true);
        }
        return await originals.WriteAsync(http, job, contentType, ct) ? TypedResults.Empty : Missing();
    }

    static ProblemHttpResult Missing() => IngestionResults.Problem(404, "original-missing", "The original is not in storage.");

    static async Task<IResult> ListAsync(HttpContext http, JobStore jobs, ResourceStore store, SearchQueryParser parser, string? patient, string? cursor, int? limit, CancellationToken ct)
    {
        var caller = IngestionResults.Caller(http);
        if (IngestionResults.Deny(AccessPolicy.Reports(caller, caller.TenantId, ReportAction.Search)) is { } denied) return denied;
        if (limit is < 1 or > 200) return Invalid("limit", "limit is 1-200.");
        IReadOnlyList<string>? patientRefs = null;
        if (patient is not null)
        {
            if (patient.Length is 0 or > 200) return Invalid("patient", "Give a patient identifier (system|value or value) or a name, at most 200 characters.");
            patientRefs = await FindPatientsAsync(caller.TenantId, patient, store, parser, ct);
            if (patientRefs.Count == 0) return TypedResults.Ok(new Page<ReportItem>([], null));
        }
        var page = await jobs.ListAsync(caller.TenantId, new JobFilter { PatientRefs = patientRefs, Before = cursor, Limit = (limit ?? 50) + 1 }, ct);
        var items = page.Take(limit ?? 50).Select(j => new ReportItem(j.Id, JobResponse.From(j), j.ResourceList, $"/api/reports/{j.Id}/original")).ToList();
        return TypedResults.Ok(new Page<ReportItem>(items, page.Count > items.Count ? items[^1].ReportId : null));
    }

    /// <summary>Patients of the tenant whose identifier (token syntax) or name (FHIR string search: starts with) matches.</summary>
    static async Task<IReadOnlyList<string>> FindPatientsAsync(string tenantId, string text, ResourceStore store, SearchQueryParser parser, CancellationToken ct)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var escaped = text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal).Replace("$", "\\$", StringComparison.Ordinal);
        var bar = escaped.IndexOf('|', StringComparison.Ordinal);
        var identifier = bar < 0 ? escaped : escaped[..bar] + "|" + escaped[(bar + 1)..].Replace("|", "\\|", StringComparison.Ordinal);
        foreach (var (name, value) in new[] { ("identifier", identifier), ("name", escaped.Replace("|", "\\|", StringComparison.Ordinal)) })
        {
            var query = parser.Parse("Patient", [new(name, value), new("_count", "200")], strict: true);
            if (query.Error is not null) continue;
            foreach (var resource in (await store.SearchAsync(tenantId, query.Value!, ct)).Resources) found.Add($"Patient/{resource.Id}");
        }
        return [.. found];
    }
}
