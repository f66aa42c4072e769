namespace Carevault.Dicom;

/// <summary>What kind of failure: bad input, or input beyond a configured limit (STYLE §6 kinds).</summary>
public enum DicomErrorKind
{
    /// <summary>The bytes are not a well-formed DICOM file.</summary>
    Validation,

    /// <summary>The input exceeds a <see cref="DicomReaderOptions"/> limit.</summary>
    TooLarge,
}

/// <summary>The specific reason a read failed.</summary>
public enum DicomErrorCode
{
    /// <summary>No "DICM" prefix and the first bytes are not a plausible data element.</summary>
    NotDicom,

    /// <summary>An element header or value runs past the end of the data.</summary>
    TruncatedElement,

    /// <summary>An undefined-length sequence or item ends without its delimiter.</summary>
    MissingDelimiter,

    /// <summary>A tag appears where the structure does not allow it (e.g. a non-item inside a sequence).</summary>
    UnexpectedTag,

    /// <summary>The deflated data set could not be inflated.</summary>
    InvalidDeflate,

    /// <summary>An element value is longer than <see cref="DicomReaderOptions.MaxElementLength"/>.</summary>
    ElementTooLarge,

    /// <summary>Sequences nest deeper than <see cref="DicomReaderOptions.MaxDepth"/>.</summary>
    NestingTooDeep,

    /// <summary>A sequence holds more items (or pixel data more fragments) than <see cref="DicomReaderOptions.MaxItems"/>.</summary>
    TooManyItems,

    /// <summary>The data set holds more elements than <see cref="DicomReaderOptions.MaxElements"/>.</summary>
    TooManyElements,

    /// <summary>The input (or the inflated data set) is larger than <see cref="DicomReaderOptions.MaxInputLength"/>.</summary>
    InputTooLarge,
}

/// <summary>
/// Why a read failed, where, and on which tag. Messages name tags, offsets and lengths only — never values,
/// which may be patient data.
/// </summary>
/// <param name="Code">The specific reason.</param>
/// <param name="Offset">Byte offset where the problem was found (in the inflated data set when <paramref name="InInflatedData"/>).</param>
/// <param name="Tag">The element being read, when known.</param>
/// <param name="Message">A readable sentence, e.g. "truncated element (7fe0,0010) at offset 1234: …".</param>
/// <param name="InInflatedData">True when <paramref name="Offset"/> counts bytes of the inflated (deflated-syntax) data set.</param>
public sealed record DicomError(DicomErrorCode Code, long Offset, DicomTag? Tag, string Message, bool InInflatedData = false)
{
    /// <summary>Validation for malformed input, TooLarge for a limit.</summary>
    public DicomErrorKind Kind => Code is DicomErrorCode.ElementTooLarge or DicomErrorCode.NestingTooDeep
        or DicomErrorCode.TooManyItems or DicomErrorCode.TooManyElements or DicomErrorCode.InputTooLarge
        ? DicomErrorKind.TooLarge
        : DicomErrorKind.Validation;

    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Message}";
}
