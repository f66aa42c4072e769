namespace Carevault.Ingestion.Intake;

/// <summary>Why an upload was not accepted; the HTTP layer maps each kind to one status.</summary>
public enum IntakeErrorKind
{
    /// <summary>400: metadata or headers are not valid.</summary>
    Validation,
    /// <summary>403: the caller may not submit reports.</summary>
    Forbidden,
    /// <summary>409: the idempotency key was used for other content.</summary>
    Conflict,
    /// <summary>413: beyond the configured size.</summary>
    TooLarge,
    /// <summary>415: the Content-Type is not one the pipeline takes.</summary>
    UnsupportedMediaType,
    /// <summary>422: the bytes are not what the Content-Type says.</summary>
    ContentMismatch,
    /// <summary>422: a scanner found malware (EICAR, a ClamAV signature).</summary>
    Malware,
    /// <summary>503: the configured virus scanner could not give a verdict.</summary>
    Unavailable,
}

/// <summary>An expected refusal: kind, a stable code (the problem type's suffix), and a message without file content.</summary>
/// <param name="Field">For validation errors, the field at fault.</param>
public sealed record IntakeError(IntakeErrorKind Kind, string Code, string Message, string? Field = null);
