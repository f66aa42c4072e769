namespace Carevault.Audit.Trail;

/// <summary>What happened, before it is chained: who, what, when, from where, and the outcome.</summary>
public sealed record AuditRecord
{
    /// <summary>The chain the record belongs to: the actor's tenant (<c>system</c> when none is known).</summary>
    public required string TenantId { get; init; }

    /// <summary>UTC Unix milliseconds.</summary>
    public required long RecordedAt { get; init; }

    /// <summary>The action's stored name (<see cref="Identity.Auditing.AuditActions.Name"/>).</summary>
    public required string Action { get; init; }

    /// <summary>The HTTP status (or the CLI's exit status as 0/1 mapped to 200/500); success is below 400.</summary>
    public required int Status { get; init; }

    /// <summary><c>success</c> below status 400, else <c>failure</c>; as read back from storage when read back.</summary>
    public string Outcome
    {
        get => _outcome ?? (Status < 400 ? AuditOutcomes.Success : AuditOutcomes.Failure);
        init => _outcome = value;
    }

    readonly string? _outcome;

    /// <summary><c>user</c>, <c>client</c>, <c>anonymous</c> or <c>operator</c>.</summary>
    public required string ActorKind { get; init; }

    public required string ActorId { get; init; }

    public string ActorRole { get; init; } = "";

    public string SourceIp { get; init; } = "";

    /// <summary>Sanitised: no control characters (<see cref="AuditText.Clean"/>).</summary>
    public string UserAgent { get; init; } = "";

    /// <summary>Resource references touched, in the order touched.</summary>
    public IReadOnlyList<string> Entities { get; init; } = [];

    /// <summary>The search query string. It may hold identifiers: stored (the trail is protected data), never logged.</summary>
    public string Query { get; init; } = "";

    /// <summary>A refinement of the action (lockout, the admin operation, the route).</summary>
    public string Detail { get; init; } = "";
}

public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Failure = "failure";
}

/// <summary>A record as stored in its tenant's chain.</summary>
public sealed record ChainedAuditRecord(AuditRecord Record, long Seq, string PrevHash, string Hash);
