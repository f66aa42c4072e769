namespace Carevault.Hl7v2;

/// <summary>How an <see cref="Hl7Error"/> should be treated by a caller (mirrors the platform's error kinds).</summary>
public enum Hl7ErrorKind
{
    /// <summary>The input is not acceptable HL7 v2 (syntax or a required value is missing).</summary>
    Validation,

    /// <summary>The input exceeds a configured limit (<see cref="Hl7ParseOptions"/>).</summary>
    TooLarge,
}

/// <summary>Specific reasons a parse or a typed read can fail. Stable: callers may switch on them.</summary>
public enum Hl7ErrorCode
{
    /// <summary>The input holds no segment at all (zero bytes, only a BOM or only line breaks).</summary>
    EmptyMessage,

    /// <summary>The first segment is not MSH (or FHS/BHS for a batch).</summary>
    MissingMessageHeader,

    /// <summary>The MSH segment ends before MSH-12 (version), so the header is incomplete.</summary>
    TruncatedMessageHeader,

    /// <summary>MSH-1 (field separator) is missing or not a permitted character.</summary>
    InvalidFieldSeparator,

    /// <summary>MSH-2 (encoding characters) is not 4 (or 5, v2.7+) distinct, permitted characters.</summary>
    InvalidEncodingCharacters,

    /// <summary>MSH-9 (message type) is empty.</summary>
    MissingMessageType,

    /// <summary>MSH-10 (message control id) is empty.</summary>
    MissingControlId,

    /// <summary>MSH-12 (version id) is empty.</summary>
    MissingVersion,

    /// <summary>MSH-18 names a character set that cannot be read byte-wise (UTF-16, UTF-32).</summary>
    UnsupportedCharacterSet,

    /// <summary>A segment id is not three upper-case letters or digits.</summary>
    InvalidSegmentId,

    /// <summary>A single-message parse met a second MSH or a batch envelope segment.</summary>
    UnexpectedSegment,

    /// <summary>A batch holds a segment other than FHS/BHS/BTS/FTS before its first MSH.</summary>
    SegmentBeforeMessageHeader,

    /// <summary>The input is larger than <see cref="Hl7ParseOptions.MaxMessageBytes"/> or <see cref="Hl7ParseOptions.MaxBatchBytes"/>.</summary>
    MessageTooLarge,

    /// <summary>More segments than <see cref="Hl7ParseOptions.MaxSegmentsPerMessage"/>.</summary>
    TooManySegments,

    /// <summary>A segment has more fields than <see cref="Hl7ParseOptions.MaxFieldsPerSegment"/>.</summary>
    TooManyFields,

    /// <summary>A field is longer than <see cref="Hl7ParseOptions.MaxFieldBytes"/>.</summary>
    FieldTooLong,

    /// <summary>A batch holds more messages than <see cref="Hl7ParseOptions.MaxMessagesPerBatch"/>.</summary>
    TooManyMessages,

    /// <summary>A typed reader was given a message of another type (e.g. ADT to the ORU reader).</summary>
    UnexpectedMessageType,

    /// <summary>A segment the message structure requires is absent (e.g. PID, TXA).</summary>
    MissingSegment,
}

/// <summary>
/// An expected failure, returned as a value. <see cref="Message"/> and <see cref="Target"/> never hold patient data:
/// they name positions ("MSH-2", "segment 4"), not contents, so they are safe to log.
/// </summary>
public sealed record Hl7Error(Hl7ErrorKind Kind, Hl7ErrorCode Code, string Message, string? Target)
{
    internal static Hl7Error Invalid(Hl7ErrorCode code, string message, string? target = null) =>
        new(Hl7ErrorKind.Validation, code, message, target);

    internal static Hl7Error TooLarge(Hl7ErrorCode code, string message, string? target = null) =>
        new(Hl7ErrorKind.TooLarge, code, message, target);
}

/// <summary>Conditions that do not stop a parse but that a caller may want to report.</summary>
public enum Hl7WarningCode
{
    /// <summary>MSH-2 declares a 5th (truncation) character but MSH-12 is older than 2.7, which introduced it.</summary>
    TruncationCharacterBeforeV27,

    /// <summary>MSH-18 names a character set this library does not know; values are decoded as UTF-8.</summary>
    UnknownCharacterSet,

    /// <summary>An OBX with value type ED has an empty data component (ED.5): there is no content to decode.</summary>
    EmptyEncapsulatedData,

    /// <summary>ED data declared Base64 (ED.4) is not valid base64.</summary>
    InvalidBase64,

    /// <summary>ED data uses an encoding (ED.4) other than Base64 or A (ASCII); the data is kept undecoded.</summary>
    UnsupportedEncapsulatedEncoding,

    /// <summary>A date/time value is not a valid HL7 DTM/TS; it is kept as text only.</summary>
    InvalidDateTime,
}

/// <summary>A non-fatal finding. Like <see cref="Hl7Error"/>, it names positions, never contents.</summary>
public sealed record Hl7Warning(Hl7WarningCode Code, string Message, string? Target);
