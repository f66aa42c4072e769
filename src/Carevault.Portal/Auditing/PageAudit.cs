using Carevault.Identity.Auditing;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Portal.Auditing;

/// <summary>
/// On a page class: every view of the page is recorded in the audit trail as <see cref="Action"/> (a form post as
/// <see cref="OnPost"/> when given). Turned into the audit module's <see cref="AuditedMetadata"/> when the pages are mapped.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AuditedPageAttribute : Attribute
{
    public AuditedPageAttribute(AuditAction action) : this(action, action) { }

    /// <param name="onPost">What a form post on the page does (booking: <see cref="AuditAction.Create"/>).</param>
    public AuditedPageAttribute(AuditAction action, AuditAction onPost)
    {
        Action = action;
        OnPost = onPost;
    }

    public AuditAction Action { get; }

    public AuditAction OnPost { get; }
}

/// <summary>On a page class: the page shows no health data and changes no security state (the reason is stated).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NotAuditedPageAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}

/// <summary>
/// Auditing for portal pages. Endpoint filters (<c>.Audited</c>) do not run on Razor component endpoints, so this does
/// the filter's work around them through the same <see cref="IAuditRecorder"/>: <see cref="Middleware"/> opens the
/// call's <see cref="AuditNotes"/> before the page runs; the page notes what it read and calls
/// <see cref="RecordAsync"/> before it renders the data (fail closed: no record, no data); a write enlists its record
/// in the store transaction (<see cref="Enlist"/>). Whatever the page did not record (it threw, redirected, or was
/// refused) the middleware records afterwards, so each audited view leaves exactly one record.
/// </summary>
public static class PageAudit
{
    sealed class State(AuditAction action)
    {
        public AuditAction Action { get; set; } = action;
        public bool Recorded { get; set; }
    }

    /// <summary>The declaration endpoint metadata carries, from the page's attribute; null when the page declares none.</summary>
    internal static object? MetadataFor(IEnumerable<object> metadata)
    {
        foreach (var item in metadata)
        {
            if (item is AuditedPageAttribute audited) return new AuditedMetadata(audited.Action);
            if (item is NotAuditedPageAttribute notAudited) return new NotAuditedMetadata(notAudited.Reason);
        }
        return null;
    }

    /// <summary>Wraps every audited page (call after authorization, before the endpoints run).</summary>
    public static IApplicationBuilder UsePageAudit(this IApplicationBuilder app) => app.Use(Middleware);

    static async Task Middleware(HttpContext http, RequestDelegate next)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<ComponentTypeMetadata>() is null || endpoint.Metadata.GetMetadata<AuditedPageAttribute>() is not { } declared)
        {
            await next(http);
            return;
        }
        var action = HttpMethods.IsPost(http.Request.Method) ? declared.OnPost : declared.Action;
        var recorder = http.RequestServices.GetRequiredService<IAuditRecorder>();
        var notes = new AuditNotes();
        var state = new State(action);
        http.Features.Set(notes);
        http.Features.Set(state);
        recorder.Begin(http, action, notes);
        try
        {
            // Stores that take no HttpContext (identity writes: clients, users) find the call here and commit its record with the write.
            AuditNotes.Use(notes);
            await next(http);
        }
        catch (Exception exception)
        {
            if (!state.Recorded) await recorder.FailAsync(http, state.Action, notes, exception);
            throw;
        }
        finally
        {
            AuditNotes.Use(null);
        }
        // The page did not record (it redirected, was refused, or is not showing data): record what it answered.
        if (!state.Recorded) await recorder.CompleteAsync(http, state.Action, notes, Results.StatusCode(http.Response.StatusCode));
    }

    /// <summary>
    /// For a page whose form posts do different things (publishing slots is a create, a status change an update):
    /// the action this call is recorded as, set by the handler before it writes.
    /// </summary>
    public static void Act(HttpContext http, AuditAction action)
    {
        if (http.Features.Get<State>() is not { Recorded: false } state || AuditNotes.Of(http) is not { } notes) return;
        state.Action = action;
        http.RequestServices.GetRequiredService<IAuditRecorder>().Begin(http, action, notes);
    }

    /// <summary>Notes resources the page reads or writes (<c>Patient/123</c>); nothing on a page that is not audited.</summary>
    public static void Note(HttpContext http, params IEnumerable<string> references)
    {
        if (AuditNotes.Of(http) is not { } notes) return;
        foreach (var reference in references) notes.AddEntity(reference);
    }

    /// <summary>
    /// Writes this view's record now, before the page renders its data, with what <see cref="Note"/> collected.
    /// False when the trail could not store it: the page must then show no data (its status is set to 503).
    /// <paramref name="status"/> is the outcome to record: 200, or the refusal a form post met (409: the slot was taken).
    /// </summary>
    public static async Task<bool> RecordAsync(HttpContext http, int status = StatusCodes.Status200OK)
    {
        if (http.Features.Get<State>() is not { } state || AuditNotes.Of(http) is not { } notes)
            throw new InvalidOperationException("This page is not declared [AuditedPage]: its view cannot be recorded.");
        if (state.Recorded) return true;
        var recorder = http.RequestServices.GetRequiredService<IAuditRecorder>();
        var outcome = Results.StatusCode(status);
        var answer = await recorder.CompleteAsync(http, state.Action, notes, outcome);
        state.Recorded = true;
        // The recorder hands back the result it was given once the record is stored, and its own 503 when it was not.
        if (!ReferenceEquals(answer, outcome))
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return false;
        }
        return true;
    }

    /// <summary>
    /// For a store write made by an audited page: writes the view's record in the same transaction (they commit
    /// together), noting what was written. The page still calls <see cref="RecordAsync"/>, which then adds nothing.
    /// </summary>
    public static BeforeCommit Enlist(HttpContext http) => async (connection, transaction, written, ct) =>
    {
        if (AuditNotes.Of(http) is not { } notes) throw new InvalidOperationException("This page is not declared [AuditedPage]: its write cannot be recorded.");
        foreach (var resource in written) notes.AddEntity($"{resource.ResourceType}/{resource.Id}");
        await notes.EnlistAsync(connection, transaction, StatusCodes.Status200OK, ct);
        return null;
    };
}
