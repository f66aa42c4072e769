namespace Carevault.Identity.Auditing;

/// <summary>
/// What an audited endpoint does. The vocabulary lives here, beside authorization, because every module with
/// endpoints references Identity; the trail itself is the Audit module (decision 0012).
/// </summary>
public enum AuditAction
{
    // FHIR interactions (FHIR R4 http.html)
    Read,
    VRead,
    Search,
    Create,
    Update,
    Delete,
    History,
    Transaction,

    // Reports and ingestion jobs
    Upload,
    Download,
    JobRead,

    // Security events
    Login,
    Logout,
    PasswordChange,
    PasswordReset,
    SecondFactor,
    TokenIssue,
    TokenRevoke,
    Registration,
    Admin,
    KeyRotation,

    // Reading the trail is itself recorded.
    AuditRead,
}

public static class AuditActions
{
    /// <summary>The stored name of an action (stable: it is part of every record's hash).</summary>
    public static string Name(AuditAction action) => action switch
    {
        AuditAction.Read => "read",
        AuditAction.VRead => "vread",
        AuditAction.Search => "search",
        AuditAction.Create => "create",
        AuditAction.Update => "update",
        AuditAction.Delete => "delete",
        AuditAction.History => "history",
        AuditAction.Transaction => "transaction",
        AuditAction.Upload => "upload",
        AuditAction.Download => "download",
        AuditAction.JobRead => "job-read",
        AuditAction.Login => "login",
        AuditAction.Logout => "logout",
        AuditAction.PasswordChange => "password-change",
        AuditAction.PasswordReset => "password-reset",
        AuditAction.SecondFactor => "second-factor",
        AuditAction.TokenIssue => "token-issue",
        AuditAction.TokenRevoke => "token-revoke",
        AuditAction.Registration => "registration",
        AuditAction.Admin => "admin",
        AuditAction.KeyRotation => "key-rotation",
        AuditAction.AuditRead => "audit-read",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}
