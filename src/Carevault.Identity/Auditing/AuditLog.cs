namespace Carevault.Identity.Auditing;

/// <summary>
/// Records an audited act that no HTTP request carries (an HL7 message over MLLP): the record is durable when
/// <see cref="RecordAsync"/> returns, so the act is answered only after it (decision 0012). Implemented by the audit
/// module; HTTP endpoints declare <c>.Audited(…)</c> instead.
/// </summary>
public interface IAuditLog
{
    Task RecordAsync(AuditEntry entry, CancellationToken ct);
}

/// <param name="Actor">Who acted; its tenant is the chain the record joins.</param>
/// <param name="Status">The outcome as an HTTP-like status (below 400: success).</param>
/// <param name="Source">Where the act came from (an address, or the channel when the address is unknown).</param>
/// <param name="Channel">What carried it (e.g. <c>mllp</c>), recorded where a request's user agent would be.</param>
public sealed record AuditEntry(AuditActor Actor, AuditAction Action, int Status, string Source, string Channel, IReadOnlyList<string> Entities, string? Detail = null);
