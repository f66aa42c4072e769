using Carevault.Audit.Trail;
using Carevault.Identity.Auditing;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carevault.Audit.Http;

/// <summary>
/// Turns an audited call into its record and waits until the record is committed before the response is written.
/// Who: the actor the endpoint noted (sign-in, token), else the authenticated caller, else anonymous. Where from:
/// the connection's address and the sanitised User-Agent. Outcome: the result's status.
/// </summary>
internal sealed partial class AuditRecorder(AuditTrail trail, TimeProvider clock, ILogger<AuditRecorder> logger) : IAuditRecorder
{
    /// <summary>Anonymous events whose tenant was not verified go to the operators' chain.</summary>
    const string SystemChain = Identity.Authorization.SystemTenant.Id;

    public void Begin(HttpContext http, AuditAction action, AuditNotes notes)
    {
        notes.SuccessStatus = SuccessStatus(http);
        notes.Enlist = (connection, transaction, part, ct) => trail.AppendAsync(connection, transaction, Build(http, part.Action ?? action, notes, part.Status, part), ct);
    }

    /// <summary>The lowest 2xx status the endpoint declares (typed results list theirs), else 200.</summary>
    static int SuccessStatus(HttpContext http)
    {
        var lowest = int.MaxValue;
        foreach (var produces in http.GetEndpoint()?.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>() ?? [])
        {
            if (produces.StatusCode is >= 200 and < 300 && produces.StatusCode < lowest) lowest = produces.StatusCode;
        }
        return lowest == int.MaxValue ? StatusCodes.Status200OK : lowest;
    }

    public async Task<object?> CompleteAsync(HttpContext http, AuditAction action, AuditNotes notes, object? result)
    {
        // Typed unions (Results<Ok<T>, ProblemHttpResult>) wrap the result that carries the status.
        while (result is INestedHttpResult nested) result = nested.Result;
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        // The write committed together with its record: nothing more to write.
        if (notes.EnlistedStatus == status) return result;
        try
        {
            await trail.AppendAsync(Build(http, action, notes, status), CancellationToken.None);
            return result;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Fail closed: no record, no answer. The data (or the success) is not sent.
            LogAppendFailed(logger, exception, AuditActions.Name(action));
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: "urn:carevault:problem:audit-unavailable",
                title: "The audit trail is unavailable.", detail: "The request could not be recorded, so it was not answered. Try again later.");
        }
    }

    public async Task FailAsync(HttpContext http, AuditAction action, AuditNotes notes, Exception exception)
    {
        var status = exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested ? 499 : StatusCodes.Status500InternalServerError;
        try
        {
            await trail.AppendAsync(Build(http, action, notes, status), CancellationToken.None);
        }
        catch (Exception appendError) when (appendError is not OperationCanceledException)
        {
            LogAppendFailed(logger, appendError, AuditActions.Name(action));
        }
    }

    AuditRecord Build(HttpContext http, AuditAction action, AuditNotes notes, int status, AuditPart? part = null)
    {
        // The endpoint's word first: a token request from a browser that also holds a session is the client's act.
        var caller = CallerContext.From(http.User);
        var actor = notes.Actor
            ?? (caller is not null ? new AuditActor(caller.TenantId, caller.Subject, caller.Kind, caller.Role) : new AuditActor(null, "", "anonymous"));
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        return new AuditRecord
        {
            TenantId = actor.TenantId ?? SystemChain,
            RecordedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Action = AuditActions.Name(action),
            Status = status,
            ActorKind = AuditText.Clean(actor.Kind, 32),
            ActorId = AuditText.Clean(actor.Id, 200),
            ActorRole = AuditText.Clean(actor.Role, 32),
            SourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "",
            UserAgent = AuditText.Clean(http.Request.Headers.UserAgent.ToString()),
            Entities = (part?.Entities ?? (notes.Entities.Count > 0 ? notes.Entities : RouteSubjects(http))).Select(e => AuditText.Clean(e, 300)).ToList(),
            Query = AuditText.Clean(notes.Query ?? "", 4096),
            Detail = AuditText.Clean(part?.Detail ?? (string.IsNullOrEmpty(notes.Detail) ? $"{http.Request.Method} {route}" : notes.Detail), 300),
        };
    }

    /// <summary>What an administration route acts on: <c>{clientId}</c> → <c>client/…</c>, <c>{userId}</c> → <c>user/…</c>.</summary>
    static List<string> RouteSubjects(HttpContext http)
    {
        var subjects = new List<string>();
        foreach (var (key, value) in http.Request.RouteValues)
        {
            if (key.Length > 2 && key.EndsWith("Id", StringComparison.Ordinal) && value is string id)
                subjects.Add($"{key[..^2]}/{id}");
        }
        return subjects;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record an audited {Action}")]
    static partial void LogAppendFailed(ILogger logger, Exception exception, string action);
}
