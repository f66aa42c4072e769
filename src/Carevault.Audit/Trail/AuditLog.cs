using Carevault.Identity.Auditing;

namespace Carevault.Audit.Trail;

/// <summary>The trail's <see cref="IAuditLog"/>: one record per entry, group-committed, durable on return.</summary>
internal sealed class AuditLog(AuditTrail trail, TimeProvider clock) : IAuditLog
{
    public async Task RecordAsync(AuditEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await trail.AppendAsync(new AuditRecord
        {
            TenantId = entry.Actor.TenantId is { Length: > 0 } tenant ? AuditText.Clean(tenant, 100) : Identity.Authorization.SystemTenant.Id,
            RecordedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Action = AuditActions.Name(entry.Action),
            Status = entry.Status,
            ActorKind = entry.Actor.Kind,
            ActorId = AuditText.Clean(entry.Actor.Id, 200),
            ActorRole = entry.Actor.Role ?? "",
            SourceIp = AuditText.Clean(entry.Source, 100),
            UserAgent = AuditText.Clean(entry.Channel, 200),
            Entities = entry.Entities.Select(e => AuditText.Clean(e, 300)).ToList(),
            Detail = entry.Detail is null ? "" : AuditText.Clean(entry.Detail, 500),
        }, ct);
    }
}
