using System.Globalization;
using System.Text.Json;
using Carevault.Audit.Trail;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Audit.Http;

/// <summary>
/// <c>GET /api/audit</c> (newest first, keyset-paged) and <c>GET /api/audit/export</c> (NDJSON, streamed): the
/// caller's tenant's trail, for its auditors (<see cref="AccessPolicy"/>). Read-only: no route writes, changes or
/// deletes a record. Reading the trail is itself recorded.
/// </summary>
internal static class AuditApi
{
    static readonly byte[] Newline = "\n"u8.ToArray();

    public sealed record ActorView(string Kind, string Id, string Role);

    public sealed record RecordView(long Seq, DateTimeOffset Recorded, string Type, string Outcome, int Status, ActorView Actor, string SourceIp,
        string UserAgent, IReadOnlyList<string> Entities, string Query, string Detail, string PrevHash, string Hash);

    public sealed record Page(IReadOnlyList<RecordView> Records, string? Next);

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").RequireAuthorization().WithTags("Audit").Audited(AuditAction.AuditRead);
        group.MapGet("", SearchAsync).WithName("SearchAudit")
            .WithSummary("The tenant's audit trail, newest first: agent, entity, date (ge/gt/le/lt/eq), outcome, type, count, cursor.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
        // A whole trail can take longer than the default request time limit to stream.
        group.MapGet("/export", Export).WithName("ExportAudit").DisableRequestTimeout()
            .WithSummary("The tenant's audit trail as NDJSON (one record per line, newest first), with the same filters.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
    }

    /// <summary>The caller, when AccessPolicy lets them read the trail; else the answer to give.</summary>
    public static CallerContext? Auditor(HttpContext http, out int denied)
    {
        denied = 0;
        var caller = CallerContext.From(http.User);
        if (caller is null)
        {
            denied = StatusCodes.Status401Unauthorized;
            return null;
        }
        // People with the auditor role only: a hospital system's wildcard scopes (system/*.rs) must not open the trail.
        if (caller.Kind != "user" || AccessPolicy.Clinical(caller, caller.TenantId, "AuditEvent", ClinicalAction.Search, Ownership.None) != Access.Allowed)
        {
            denied = StatusCodes.Status403Forbidden;
            return null;
        }
        return caller;
    }

    static async Task<Results<Ok<Page>, ProblemHttpResult>> SearchAsync(HttpContext http, AuditReader reader, CancellationToken ct)
    {
        if (Auditor(http, out var denied) is not { } caller) return Denied(denied);
        var (query, error) = AuditQuery.Parse(http.Request.Query, "cursor", fhirOutcome: false);
        if (query is null) return TypedResults.Problem(statusCode: 400, detail: error);
        AuditNotes.Of(http)!.Query = http.Request.QueryString.Value;
        var records = await reader.SearchAsync(caller.TenantId, query.Filter, query.Count, ct);
        string? next = null;
        if (records.Count == query.Count)
        {
            next = "/api/audit" + NextQuery(http.Request.Query, "cursor", records[^1].Seq);
        }
        return TypedResults.Ok(new Page(records.Select(View).ToList(), next));
    }

    static IResult Export(HttpContext http, AuditReader reader)
    {
        if (Auditor(http, out var denied) is not { } caller) return Denied(denied);
        var (query, error) = AuditQuery.Parse(http.Request.Query, "cursor", fhirOutcome: false);
        if (query is null) return TypedResults.Problem(statusCode: 400, detail: error);
        AuditNotes.Of(http)!.Query = http.Request.QueryString.Value;
        return Results.Stream(async stream =>
        {
            var filter = query.Filter;
            var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
            while (true)
            {
                var page = await reader.SearchAsync(caller.TenantId, filter, AuditQuery.MaxCount, http.RequestAborted);
                foreach (var record in page)
                {
                    await JsonSerializer.SerializeAsync(stream, View(record), options, http.RequestAborted);
                    await stream.WriteAsync(Newline, http.RequestAborted);
                }
                await stream.FlushAsync(http.RequestAborted);
                if (page.Count < AuditQuery.MaxCount) break;
                filter = filter with { BelowSeq = page[^1].Seq };
            }
        }, "application/x-ndjson");
    }

    /// <summary>The same query with the cursor moved below <paramref name="lastSeq"/>.</summary>
    public static string NextQuery(IQueryCollection query, string cursorName, long lastSeq)
    {
        var pairs = query.Where(p => p.Key != cursorName).SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();
        pairs.Add(new(cursorName, lastSeq.ToString(CultureInfo.InvariantCulture)));
        return new QueryBuilder(pairs).ToQueryString().Value!;
    }

    static ProblemHttpResult Denied(int status) => TypedResults.Problem(statusCode: status,
        detail: status == 401 ? "Sign in to read the audit trail." : "Only the tenant's auditors read the audit trail.");

    public static RecordView View(ChainedAuditRecord chained)
    {
        var r = chained.Record;
        return new RecordView(chained.Seq, DateTimeOffset.FromUnixTimeMilliseconds(r.RecordedAt), r.Action, r.Outcome, r.Status,
            new ActorView(r.ActorKind, r.ActorId, r.ActorRole), r.SourceIp, r.UserAgent, r.Entities, r.Query, r.Detail, chained.PrevHash, chained.Hash);
    }
}
