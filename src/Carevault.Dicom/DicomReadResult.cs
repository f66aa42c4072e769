using System.Diagnostics.CodeAnalysis;

namespace Carevault.Dicom;

/// <summary>
/// The outcome of a read: a value, or an error plus whatever was read before it (like <c>dcmdump +Ep</c>, so a
/// caller may choose to keep the partial values of a truncated file knowingly).
/// </summary>
public sealed class DicomReadResult<T>
    where T : class
{
    private DicomReadResult(T? value, DicomError? error, T? partial)
    {
        Value = value;
        Error = error;
        Partial = partial;
    }

    /// <summary>The value; set exactly when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>Why the read failed; null on success.</summary>
    public DicomError? Error { get; }

    /// <summary>On failure, what was read before the error (may be null when nothing useful was read).</summary>
    public T? Partial { get; }

    /// <summary>True when the whole input was read (up to a requested stop) without error.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    internal static DicomReadResult<T> Success(T value) => new(value, null, null);

    internal static DicomReadResult<T> Failure(DicomError error, T? partial) => new(null, error, partial);
}
