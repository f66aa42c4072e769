using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Identity.Auditing;

/// <summary>Endpoint metadata: this endpoint's calls are recorded in the audit trail as <see cref="Action"/>.</summary>
public sealed class AuditedMetadata(AuditAction action)
{
    public AuditAction Action { get; } = action;
}

/// <summary>Endpoint metadata: this endpoint touches no health data and no security state, so it is not recorded.</summary>
public sealed class NotAuditedMetadata(string reason)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// Writes the audit record of an audited call, durably, before the response: returns the endpoint's result, or a
/// 503 in its place when the record could not be stored. Implemented by the Audit module.
/// </summary>
public interface IAuditRecorder
{
    /// <summary>Before the endpoint runs: lets the endpoint enlist its record in a store transaction.</summary>
    void Begin(HttpContext http, AuditAction action, AuditNotes notes);

    Task<object?> CompleteAsync(HttpContext http, AuditAction action, AuditNotes notes, object? result);

    Task FailAsync(HttpContext http, AuditAction action, AuditNotes notes, Exception exception);
}

/// <summary>Declaring what is audited (the architecture test requires every endpoint to say one or the other).</summary>
public static class AuditEndpointExtensions
{
    /// <summary>Records every call of the endpoint(s) as <paramref name="action"/>, before the response is sent.</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, AuditAction action) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new AuditedMetadata(action));
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            // A group and its endpoint may both declare: the outermost filter records once, with the innermost action.
            if (http.Features.Get<AuditNotes>() is not null) return await next(invocation);
            var declared = http.GetEndpoint()?.Metadata.GetOrderedMetadata<AuditedMetadata>() is { Count: > 0 } all ? all[^1].Action : action;
            var recorder = http.RequestServices.GetRequiredService<IAuditRecorder>();
            var notes = new AuditNotes();
            http.Features.Set(notes);
            recorder.Begin(http, declared, notes);
            object? result;
            try
            {
                // Stores without the HttpContext (identity writes) find the call here; restored when this filter returns.
                AuditNotes.Current = notes;
                result = await next(invocation);
            }
            catch (Exception exception)
            {
                await recorder.FailAsync(http, declared, notes, exception);
                throw;
            }
            return await recorder.CompleteAsync(http, declared, notes, result);
        });
        return builder;
    }

    /// <summary>States that the endpoint(s) are deliberately not audited, and why.</summary>
    public static TBuilder NotAudited<TBuilder>(this TBuilder builder, string reason) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new NotAuditedMetadata(reason));
}
