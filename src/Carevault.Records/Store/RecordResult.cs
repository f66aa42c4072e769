using Carevault.Fhir.Validation;

namespace Carevault.Records.Store;

/// <summary>What kind of expected failure a store call met; the HTTP layer maps each to one status (FHIR R4 http.html).</summary>
public enum RecordErrorKind
{
    /// <summary>The content could not be parsed or broke basic rules (400).</summary>
    BadRequest,

    /// <summary>The content parsed but violates the R4 definitions (422).</summary>
    Unprocessable,

    /// <summary>No such resource or version in this tenant (404).</summary>
    NotFound,

    /// <summary>The resource was deleted (410).</summary>
    Gone,

    /// <summary>If-Match named another version (412).</summary>
    PreconditionFailed,

    /// <summary>The interaction is not supported on this target (405).</summary>
    MethodNotAllowed,

    /// <summary>The caller's scopes do not allow the interaction (403).</summary>
    Forbidden,

    /// <summary>A configured limit was exceeded, e.g. Bundle entries (413).</summary>
    TooLarge,
}

/// <summary>An expected failure: its kind, an OperationOutcome issue code, a message without patient data, and validation issues.</summary>
public sealed record RecordError(RecordErrorKind Kind, string Code, string Message, IReadOnlyList<ValidationIssue>? Issues = null)
{
    public static RecordError NotFound(string type, string id) => new(RecordErrorKind.NotFound, "not-found", $"{type}/{id} is not known.");
}

/// <summary>A value or an expected failure (exceptions are for bugs and outages).</summary>
public readonly struct RecordResult<T>
{
    RecordResult(T? value, RecordError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }
    public RecordError? Error { get; }
    public bool IsSuccess => Error is null;

    public static implicit operator RecordResult<T>(T value) => new(value, null);
    public static implicit operator RecordResult<T>(RecordError error) => new(default, error);
}
