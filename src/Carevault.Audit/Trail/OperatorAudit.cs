using Carevault.Identity.Auditing;

namespace Carevault.Audit.Trail;

/// <summary>
/// Records what an operator did on the command line (tenant, client and user management, key rotation): the actor is
/// the operating-system account, the source is the local machine. Written before the command reports success.
/// </summary>
public static class OperatorAudit
{
    /// <param name="command">The command path, e.g. <c>clients rotate-secret</c>.</param>
    /// <param name="tenantId">The tenant the command worked on; null records it in the operators' chain.</param>
    /// <param name="subject">What the command acted on (a client or user id), when it names one.</param>
    public static async Task RecordAsync(AuditTrail trail, TimeProvider clock, string command, string? tenantId, string? subject, int exitCode, CancellationToken ct)
    {
        var rotation = command is "keys rotate-signing" or "keys rotate-master" or "clients rotate-secret";
        await trail.AppendAsync(new AuditRecord
        {
            TenantId = string.IsNullOrEmpty(tenantId) ? Identity.Authorization.SystemTenant.Id : AuditText.Clean(tenantId, 100),
            RecordedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Action = AuditActions.Name(rotation ? AuditAction.KeyRotation : AuditAction.Admin),
            Status = exitCode == 0 ? 200 : 400,
            ActorKind = "operator",
            ActorId = AuditText.Clean(Environment.UserName, 200),
            SourceIp = "local",
            UserAgent = "carevault-cli",
            Entities = string.IsNullOrEmpty(subject) ? [] : [AuditText.Clean(subject, 300)],
            Detail = "cli: " + command,
        }, ct);
    }
}
