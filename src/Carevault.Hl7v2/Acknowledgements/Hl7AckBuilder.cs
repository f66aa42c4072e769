using System.Buffers;
using System.Globalization;
using System.Text;

namespace Carevault.Hl7v2.Acknowledgements;

/// <summary>MSA-1 acknowledgment code (HL7 table 0008, original mode).</summary>
public enum Hl7AckCode
{
    /// <summary>AA: application accept.</summary>
    ApplicationAccept,

    /// <summary>AE: application error (the receiver could not process a valid message).</summary>
    ApplicationError,

    /// <summary>AR: application reject (the message itself is unacceptable: type, version, processing id, syntax).</summary>
    ApplicationReject,
}

/// <summary>ERR-3 error codes (HL7 table 0357).</summary>
public enum Hl7AckErrorCode
{
    /// <summary>0: message accepted.</summary>
    MessageAccepted = 0,

    /// <summary>100: segment sequence error.</summary>
    SegmentSequenceError = 100,

    /// <summary>101: required field missing.</summary>
    RequiredFieldMissing = 101,

    /// <summary>102: data type error.</summary>
    DataTypeError = 102,

    /// <summary>103: table value not found.</summary>
    TableValueNotFound = 103,

    /// <summary>200: unsupported message type.</summary>
    UnsupportedMessageType = 200,

    /// <summary>201: unsupported event code.</summary>
    UnsupportedEventCode = 201,

    /// <summary>202: unsupported processing id.</summary>
    UnsupportedProcessingId = 202,

    /// <summary>203: unsupported version id.</summary>
    UnsupportedVersionId = 203,

    /// <summary>207: application internal error.</summary>
    ApplicationInternalError = 207,
}

/// <summary>What goes into ERR. <see cref="Text"/> is sent to the sender: never put patient data in it.</summary>
public sealed record Hl7AckError
{
    /// <summary>ERR-3 (table 0357).</summary>
    public required Hl7AckErrorCode Code { get; init; }

    /// <summary>ERR-8 user message (ERR-1.4.2 before v2.5); escaped on writing.</summary>
    public required string Text { get; init; }

    /// <summary>ERR-4 severity: E error, W warning, I information, F fatal.</summary>
    public string Severity { get; init; } = "E";

    /// <summary>ERR-2.1 segment id of the error location (e.g. "MSH").</summary>
    public string? SegmentId { get; init; }

    /// <summary>ERR-2.2 segment sequence (1-based).</summary>
    public int? SegmentSequence { get; init; }

    /// <summary>ERR-2.3 field position.</summary>
    public int? FieldPosition { get; init; }

    /// <summary>Maps a parse or reader error to ERR content (location taken from <see cref="Hl7Error.Target"/> like "MSH-9").</summary>
    public static Hl7AckError From(Hl7Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Hl7AckErrorCode code = error.Code switch
        {
            Hl7ErrorCode.MissingMessageType or Hl7ErrorCode.MissingControlId or Hl7ErrorCode.MissingVersion
                or Hl7ErrorCode.TruncatedMessageHeader or Hl7ErrorCode.MissingSegment => Hl7AckErrorCode.RequiredFieldMissing,
            Hl7ErrorCode.MissingMessageHeader or Hl7ErrorCode.UnexpectedSegment or Hl7ErrorCode.InvalidSegmentId
                or Hl7ErrorCode.SegmentBeforeMessageHeader or Hl7ErrorCode.EmptyMessage => Hl7AckErrorCode.SegmentSequenceError,
            Hl7ErrorCode.UnexpectedMessageType => Hl7AckErrorCode.UnsupportedMessageType,
            Hl7ErrorCode.InvalidFieldSeparator or Hl7ErrorCode.InvalidEncodingCharacters
                or Hl7ErrorCode.UnsupportedCharacterSet => Hl7AckErrorCode.DataTypeError,
            _ => Hl7AckErrorCode.ApplicationInternalError,
        };

        string? segmentId = null;
        int? field = null;
        if (error.Target is { Length: >= 3 } target && target.Length <= 6)
        {
            segmentId = target[..3];
            if (target.Length > 4 && target[3] == '-'
                && int.TryParse(target.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int f))
            {
                field = f;
            }
        }

        return new Hl7AckError
        {
            Code = code,
            Text = error.Message,
            SegmentId = segmentId,
            SegmentSequence = segmentId is null ? null : 1,
            FieldPosition = field,
        };
    }
}

/// <summary>The values an acknowledgment needs beyond the original message.</summary>
public sealed record Hl7AckRequest
{
    /// <summary>MSA-1.</summary>
    public required Hl7AckCode Code { get; init; }

    /// <summary>MSH-10 of the ACK itself (a new id, not the original's).</summary>
    public required string ControlId { get; init; }

    /// <summary>MSH-7 of the ACK; take it from a <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>ERR content; usually set with AE/AR.</summary>
    public Hl7AckError? Error { get; init; }
}

/// <summary>
/// Builds original-mode acknowledgments (HL7 v2.5.1 §2.9.2, §2.14.1): MSH with sending and receiving
/// application/facility swapped, MSH-9 ACK^&lt;trigger&gt;^ACK, MSH-11/12 (and MSH-18) echoed; MSA with the code
/// and the original MSH-10; ERR when an error is given (ERR-2/3/4/8 from v2.5, ERR-1 before). The ACK uses the
/// original's delimiters and character set, segments end with CR. Copied fields are copied as raw bytes, so their
/// escape sequences stay valid.
/// </summary>
public static class Hl7AckBuilder
{
    /// <summary>Builds the ACK for a parsed message.</summary>
    public static byte[] Build(Hl7Message original, Hl7AckRequest request)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(request);
        Hl7Delimiters d = original.Delimiters;
        Hl7Segment msh = original.Header;
        var w = new ArrayBufferWriter<byte>(256);
        Encoding encoding = original.Encoding;

        WriteAscii(w, "MSH");
        w.Write([d.Field]);
        WriteAscii(w, d.EncodingCharacters);
        foreach (int field in (ReadOnlySpan<int>)[5, 6, 3, 4])
        {
            w.Write([d.Field]);
            w.Write(msh.Field(field).Raw);
        }

        w.Write([d.Field]);
        WriteAscii(w, Timestamp(request.Timestamp));
        w.Write([d.Field]);
        w.Write([d.Field]);
        WriteAscii(w, "ACK");
        if (msh.Field(9).Component(2) is { IsEmpty: false } trigger)
        {
            w.Write([d.Component]);
            w.Write(trigger.Raw);
            w.Write([d.Component]);
            WriteAscii(w, "ACK");
        }

        w.Write([d.Field]);
        WriteText(w, request.ControlId, d, encoding);
        w.Write([d.Field]);
        w.Write(msh.Field(11).Raw);
        w.Write([d.Field]);
        w.Write(msh.Field(12).Raw);
        if (!msh.Field(18).IsEmpty)
        {
            // MSH-13..17 empty, then the character set, so the receiver decodes the ACK as we wrote it.
            for (int i = 13; i <= 18; i++)
            {
                w.Write([d.Field]);
            }

            w.Write(msh.Field(18).Raw);
        }

        w.Write("\r"u8);
        WriteMsa(w, request.Code, msh.Field(10).Raw, d);
        if (request.Error is { } error)
        {
            WriteErr(w, error, d, encoding, IsV25OrLater(original.Version));
        }

        return w.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Builds a reject (AR by default) for input that could not be parsed: the original's header is not trustworthy,
    /// so the ACK uses default delimiters, UTF-8, version <paramref name="version"/> and an empty MSA-2.
    /// </summary>
    public static byte[] BuildForUnparsed(Hl7AckRequest request, string version = "2.5.1")
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(version);
        Hl7Delimiters d = Hl7Delimiters.Default;
        var w = new ArrayBufferWriter<byte>(256);
        WriteAscii(w, "MSH|^~\\&|||||");
        WriteAscii(w, Timestamp(request.Timestamp));
        WriteAscii(w, "||ACK|");
        WriteText(w, request.ControlId, d, Hl7CharacterSets.Utf8);
        WriteAscii(w, "|P|");
        WriteText(w, version, d, Hl7CharacterSets.Utf8);
        w.Write("\r"u8);
        WriteMsa(w, request.Code, default, d);
        if (request.Error is { } error)
        {
            WriteErr(w, error, d, Hl7CharacterSets.Utf8, IsV25OrLater(version));
        }

        return w.WrittenSpan.ToArray();
    }

    private static void WriteMsa(ArrayBufferWriter<byte> w, Hl7AckCode code, ReadOnlySpan<byte> originalControlId, in Hl7Delimiters d)
    {
        WriteAscii(w, "MSA");
        w.Write([d.Field]);
        WriteAscii(w, code switch
        {
            Hl7AckCode.ApplicationAccept => "AA",
            Hl7AckCode.ApplicationError => "AE",
            _ => "AR",
        });
        w.Write([d.Field]);
        w.Write(originalControlId);
        w.Write("\r"u8);
    }

    private static void WriteErr(ArrayBufferWriter<byte> w, Hl7AckError error, in Hl7Delimiters d, Encoding encoding, bool v25)
    {
        string code = ((int)error.Code).ToString(CultureInfo.InvariantCulture);
        WriteAscii(w, "ERR");
        w.Write([d.Field]);
        if (!v25)
        {
            // ERR-1 (CM_ELD, v2.1–2.4): segment^sequence^field^code&text&HL70357.
            WriteLocation(w, error, d);
            w.Write([d.Component]);
            WriteAscii(w, code);
            w.Write([d.SubComponent]);
            WriteText(w, error.Text, d, encoding);
            w.Write([d.SubComponent]);
            WriteAscii(w, "HL70357");
            w.Write("\r"u8);
            return;
        }

        // ERR-1 empty (backward compatibility only), ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 user message.
        w.Write([d.Field]);
        WriteLocation(w, error, d);
        w.Write([d.Field]);
        WriteAscii(w, code);
        w.Write([d.Component]);
        WriteText(w, Description(error.Code), d, encoding);
        w.Write([d.Component]);
        WriteAscii(w, "HL70357");
        w.Write([d.Field]);
        WriteText(w, error.Severity, d, encoding);
        for (int i = 5; i <= 8; i++)
        {
            w.Write([d.Field]);
        }

        WriteText(w, error.Text, d, encoding);
        w.Write("\r"u8);
    }

    private static void WriteLocation(ArrayBufferWriter<byte> w, Hl7AckError error, in Hl7Delimiters d)
    {
        if (error.SegmentId is null)
        {
            return;
        }

        WriteText(w, error.SegmentId, d, Hl7CharacterSets.Utf8);
        w.Write([d.Component]);
        WriteAscii(w, error.SegmentSequence?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
        w.Write([d.Component]);
        WriteAscii(w, error.FieldPosition?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
    }

    private static string Description(Hl7AckErrorCode code) => code switch
    {
        Hl7AckErrorCode.MessageAccepted => "Message accepted",
        Hl7AckErrorCode.SegmentSequenceError => "Segment sequence error",
        Hl7AckErrorCode.RequiredFieldMissing => "Required field missing",
        Hl7AckErrorCode.DataTypeError => "Data type error",
        Hl7AckErrorCode.TableValueNotFound => "Table value not found",
        Hl7AckErrorCode.UnsupportedMessageType => "Unsupported message type",
        Hl7AckErrorCode.UnsupportedEventCode => "Unsupported event code",
        Hl7AckErrorCode.UnsupportedProcessingId => "Unsupported processing id",
        Hl7AckErrorCode.UnsupportedVersionId => "Unsupported version id",
        _ => "Application internal error",
    };

    private static string Timestamp(DateTimeOffset t)
    {
        TimeSpan offset = t.Offset.Duration();
        return t.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)
            + (t.Offset < TimeSpan.Zero ? "-" : "+")
            + offset.Hours.ToString("00", CultureInfo.InvariantCulture)
            + offset.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    private static bool IsV25OrLater(string version)
    {
        string[] parts = version.Split('.');
        return parts.Length >= 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor)
            && (major > 2 || (major == 2 && minor >= 5));
    }

    private static void WriteAscii(ArrayBufferWriter<byte> w, string text) => Encoding.ASCII.GetBytes(text, w);

    private static void WriteText(ArrayBufferWriter<byte> w, string text, in Hl7Delimiters d, Encoding encoding) =>
        encoding.GetBytes(Hl7Escaping.Escape(text, d), w);
}
