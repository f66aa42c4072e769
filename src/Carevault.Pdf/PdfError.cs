using System.Diagnostics.CodeAnalysis;

namespace Carevault.Pdf;

/// <summary>Why a PDF could not be read.</summary>
public enum PdfErrorKind
{
    /// <summary>The bytes are not a PDF at all (no <c>%PDF-</c> header near the start).</summary>
    NotPdf,
    /// <summary>The file is cut short or damaged beyond what reconstruction can recover.</summary>
    Damaged,
    /// <summary>A configured limit (<see cref="PdfReaderOptions"/>) was exceeded.</summary>
    TooLarge,
    /// <summary>The operation needs decryption, which this library does not do.</summary>
    Encrypted,
}

/// <summary>An expected failure, as a value. <see cref="Message"/> never contains document content.</summary>
/// <param name="Kind">Broad category.</param>
/// <param name="Code">Stable machine-readable code, e.g. <c>not-a-pdf</c>, <c>no-catalog</c>, <c>limit-objects</c>.</param>
/// <param name="Message">Human-readable reason.</param>
public sealed record PdfError(PdfErrorKind Kind, string Code, string Message);

/// <summary>Either a value or a <see cref="PdfError"/>.</summary>
public readonly struct PdfResult<T> where T : class
{
    private PdfResult(T? value, PdfError? error) { Value = value; Error = error; }

    /// <summary>The value when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }
    /// <summary>The error when not <see cref="IsSuccess"/>.</summary>
    public PdfError? Error { get; }
    /// <summary>Whether a value is present.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>Implicit success.</summary>
    public static implicit operator PdfResult<T>(T value) => new(value, null);
    /// <summary>Implicit failure.</summary>
    public static implicit operator PdfResult<T>(PdfError error) => new(null, error);
}

/// <summary>Internal unwinding for malformed input; always caught at the public surface and turned into a <see cref="PdfError"/>.</summary>
internal sealed class PdfFormatException(PdfError error) : Exception(error.Message)
{
    public PdfError Error { get; } = error;

    [DoesNotReturn]
    public static void Throw(PdfErrorKind kind, string code, string message) => throw new PdfFormatException(new PdfError(kind, code, message));

    [DoesNotReturn]
    public static void Damaged(string message) => throw new PdfFormatException(new PdfError(PdfErrorKind.Damaged, "syntax", message));

    [DoesNotReturn]
    public static void Limit(string code, string message) => throw new PdfFormatException(new PdfError(PdfErrorKind.TooLarge, code, message));
}
