using System.Globalization;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Records.Http.Operations;

/// <summary>Limits of <c>$import</c>.</summary>
public sealed record ImportOptions
{
    /// <summary>Largest request body (<c>Records:Import:MaxRequestBytes</c>, default 1 GiB).</summary>
    public long MaxRequestBytes { get; init; } = 1L << 30;
}

/// <summary>
/// Bulk load: <c>POST [base]/$import</c> with <c>application/fhir+ndjson</c> (one resource per line, streamed) or a
/// Bundle of type collection or batch (<c>application/fhir+json</c>). Every resource is created as by
/// <c>POST [type]</c> — validated, server id, meta, the same index rows — in batches (<see cref="BulkLoader"/>,
/// docs/decisions/0015-bulk-load.md). A bad line is not stored and is reported with its number; the good lines are
/// kept. The answer is an OperationOutcome: counts first, then one issue per rejected line. The caller needs create on
/// each type it sends (lines of other types are rejected); callers whose access depends on the target (patients,
/// doctors' author rules) get 403, since every line would need its own decision.
/// </summary>
internal static class Import
{
    static readonly string[] NdjsonTypes = ["application/fhir+ndjson", "application/ndjson", "application/x-ndjson"];

    public static void Map(IEndpointRouteBuilder group)
    {
        var options = group.ServiceProvider.GetRequiredService<ImportOptions>();
        group.MapPost("/$import", Handle).WithName("FhirImport").WithMetadata(new ImportBodyLimit(options.MaxRequestBytes)).Audited(AuditAction.Create);
    }

    static async Task<IResult> Handle(HttpContext http, BulkLoader loader, FhirAccess access, FhirSpec spec, CancellationToken ct)
    {
        if (FhirRequest.FormatError(http) is { } formatError) return formatError;
        var caller = CallerContext.From(http.User);
        if (caller is null) return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        if (Refused(caller, access, spec) is { } refused) return OperationOutcomes.From(http, refused);

        var contentType = (http.Request.ContentType ?? "").Split(';')[0].Trim();
        var ndjson = NdjsonTypes.Contains(contentType, StringComparer.OrdinalIgnoreCase);
        IAsyncEnumerable<BulkItem> items;
        if (ndjson) items = NdjsonReader.ReadAsync(http.Request.Body, loader.Options.MaxLineBytes, ct);
        else
        {
            var (body, bodyError) = await FhirRequest.ReadBodyAsync(http);
            if (bodyError is not null)
                return OperationOutcomes.Create(http, StatusCodes.Status415UnsupportedMediaType, "not-supported", "Send application/fhir+ndjson, or a Bundle as application/fhir+json.");
            var bundle = BundleItems.Read(body);
            if (bundle.Error is { } bundleError) return OperationOutcomes.From(http, bundleError);
            items = bundle.Value!.ToAsyncEnumerable();
        }

        var report = await loader.LoadAsync(caller.TenantId, items, type => access.Decide(caller, type, ClinicalAction.Create).Error, ct);
        if (AuditNotes.Of(http) is { } notes) notes.Detail = "$import: " + BulkLoader.Describe(report);
        // Everything rejected: nothing to keep, the request as a whole failed (422); otherwise 200 with the details.
        var status = report.Created == 0 && report.Rejected > 0 ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK;
        return new FhirResult(status, Outcome(http.TraceIdentifier, report, ndjson));
    }

    /// <summary>
    /// 403 unless the caller may create some type, and no type's decision depends on the target: that needs the
    /// per-target checks this path does not run (it would turn the load into one decision per line).
    /// </summary>
    static RecordError? Refused(CallerContext caller, FhirAccess access, FhirSpec spec)
    {
        var any = false;
        foreach (var type in FhirRequest.SupportedTypes(spec))
        {
            var decided = access.Decide(caller, type, ClinicalAction.Create);
            if (decided.Error is not null) continue;
            if (decided.Value!.PerTarget)
                return new RecordError(RecordErrorKind.Forbidden, "forbidden", "Bulk import is not available to callers whose access depends on the resource; create resources one by one.");
            any = true;
        }
        return any ? null : new RecordError(RecordErrorKind.Forbidden, "forbidden", "The token's scopes allow creating no resource type.");
    }

    /// <summary>OperationOutcome: an information issue with the counts, then per rejected line its number and why.</summary>
    internal static string Outcome(string id, BulkLoadReport report, bool lines) => FhirResult.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "OperationOutcome");
        w.WriteString("id", id);
        w.WriteStartArray("issue");
        w.WriteStartObject();
        w.WriteString("severity", "information");
        w.WriteString("code", "informational");
        w.WriteString("diagnostics", string.Create(CultureInfo.InvariantCulture,
            $"Read {report.Read}, created {report.Created}, rejected {report.Rejected}. {BulkLoader.Describe(report)}."));
        w.WriteEndObject();
        foreach (var rejected in report.Errors)
        {
            var at = lines ? $"line {rejected.Number.ToString(CultureInfo.InvariantCulture)}" : $"Bundle.entry[{rejected.Number.ToString(CultureInfo.InvariantCulture)}]";
            if (rejected.Error.Issues is { Count: > 0 } issues)
            {
                foreach (var issue in issues)
                {
                    w.WriteStartObject();
                    w.WriteString("severity", issue.SeverityCode);
                    w.WriteString("code", issue.Code);
                    w.WriteString("diagnostics", $"{at}: {issue.Diagnostics}");
                    if (issue.Location.Length > 0)
                    {
                        w.WriteStartArray("expression");
                        w.WriteStringValue(issue.Location);
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                continue;
            }
            w.WriteStartObject();
            w.WriteString("severity", "error");
            w.WriteString("code", rejected.Error.Code);
            w.WriteString("diagnostics", $"{at}: {rejected.Error.Message}");
            w.WriteEndObject();
        }
        if (report.Rejected > report.Errors.Count)
        {
            w.WriteStartObject();
            w.WriteString("severity", "warning");
            w.WriteString("code", "too-costly");
            w.WriteString("diagnostics", string.Create(CultureInfo.InvariantCulture, $"{report.Rejected - report.Errors.Count} more rejected lines are not listed."));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    sealed record ImportBodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
}
