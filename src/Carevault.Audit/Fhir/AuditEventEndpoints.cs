using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Carevault.Audit.Http;
using Carevault.Audit.Trail;
using Carevault.Identity.Auditing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Audit.Fhir;

/// <summary>
/// <c>GET /fhir/AuditEvent</c> (search: agent, entity, date, outcome, type/subtype, _count) and
/// <c>GET /fhir/AuditEvent/{id}</c>, rendered from the trail for the tenant's auditors. Mapped as literal routes, so they
/// win over the record store's <c>/fhir/{type}</c>; every write (create, update, patch, delete) is refused with 405 —
/// the trail is written only by the server.
/// </summary>
internal static class AuditEventEndpoints
{
    const string FhirJson = "application/fhir+json; charset=utf-8";
    const string Cursor = "_cursor";

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/fhir/AuditEvent").ExcludeFromDescription();
        group.MapGet("", SearchAsync).RequireAuthorization().Audited(AuditAction.AuditRead).WithName("FhirAuditEventSearch");
        group.MapGet("/{id}", ReadAsync).RequireAuthorization().Audited(AuditAction.AuditRead).WithName("FhirAuditEventRead");

        // Refusals carry no data and change nothing: anonymous, not audited.
        var refused = group.MapGroup("").AllowAnonymous().NotAudited("refuses every request without reading or writing anything");
        refused.MapMethods("", ["POST", "PUT", "PATCH", "DELETE"], Refuse).WithName("FhirAuditEventWriteRefused");
        refused.MapMethods("/{id}", ["POST", "PUT", "PATCH", "DELETE"], Refuse).WithName("FhirAuditEventInstanceWriteRefused");
    }

    static async Task<IResult> SearchAsync(HttpContext http, AuditReader reader, TimeProvider clock, CancellationToken ct)
    {
        if (AuditApi.Auditor(http, out var denied) is not { } caller) return Outcome(http, denied, denied == 401 ? "login" : "forbidden", "Only the tenant's auditors read AuditEvents.");
        var (query, error) = AuditQuery.Parse(http.Request.Query, Cursor, fhirOutcome: true);
        if (query is null) return Outcome(http, 400, "invalid", error!);
        AuditNotes.Of(http)!.Query = http.Request.QueryString.Value;
        var records = await reader.SearchAsync(caller.TenantId, query.Filter, query.Count, ct);
        var self = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/fhir/AuditEvent";
        return Json(200, w =>
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Bundle");
            w.WriteString("type", "searchset");
            w.WriteString("timestamp", clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteStartArray("link");
            w.WriteStartObject();
            w.WriteString("relation", "self");
            w.WriteString("url", self + http.Request.QueryString.Value);
            w.WriteEndObject();
            if (records.Count == query.Count)
            {
                w.WriteStartObject();
                w.WriteString("relation", "next");
                w.WriteString("url", self + AuditApi.NextQuery(http.Request.Query, Cursor, records[^1].Seq));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("entry");
            foreach (var record in records)
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{self}/{record.Seq.ToString(CultureInfo.InvariantCulture)}");
                w.WritePropertyName("resource");
                AuditEventResource.Write(w, record);
                w.WriteStartObject("search");
                w.WriteString("mode", "match");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    static async Task<IResult> ReadAsync(HttpContext http, string id, AuditReader reader, CancellationToken ct)
    {
        if (AuditApi.Auditor(http, out var denied) is not { } caller) return Outcome(http, denied, denied == 401 ? "login" : "forbidden", "Only the tenant's auditors read AuditEvents.");
        var record = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? await reader.FindAsync(caller.TenantId, seq, ct) : null;
        if (record is null) return Outcome(http, 404, "not-found", "No such AuditEvent.");
        AuditNotes.Of(http)!.AddEntity("AuditEvent/" + id);
        return Json(200, w => AuditEventResource.Write(w, record));
    }

    static StatusBytes Refuse(HttpContext http)
    {
        http.Response.Headers.Allow = "GET";
        return Outcome(http, 405, "not-supported", "AuditEvents are written by the server only; they cannot be created, changed or deleted.");
    }

    static StatusBytes Outcome(HttpContext http, int status, string code, string diagnostics) => Json(status, w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "OperationOutcome");
        w.WriteString("id", http.TraceIdentifier);
        w.WriteStartArray("issue");
        w.WriteStartObject();
        w.WriteString("severity", "error");
        w.WriteString("code", code);
        w.WriteString("diagnostics", diagnostics);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    static StatusBytes Json(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return new StatusBytes(status, buffer.WrittenMemory.ToArray());
    }

    /// <summary>FHIR JSON with its status (which the audit filter reads as the outcome).</summary>
    sealed class StatusBytes(int status, byte[] body) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = FhirJson;
            httpContext.Response.ContentLength = body.Length;
            await httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
    }
}
