using Carevault.Hl7v2;
using Carevault.Hl7v2.Acknowledgements;

namespace Carevault.Mllp;

/// <summary>
/// ACK/NAK bytes for MLLP replies, built with <see cref="Hl7AckBuilder"/>. The pipeline's handler uses
/// <see cref="Accept"/> once the message is durably queued; the listener itself uses <see cref="Reject"/> and
/// <see cref="Error"/> for frames it cannot hand over. Texts never contain message content.
/// </summary>
public static class MllpAcknowledgements
{
    /// <summary>AA for a parsed message.</summary>
    public static byte[] Accept(Hl7Message message, DateTimeOffset now) =>
        Hl7AckBuilder.Build(message, new Hl7AckRequest { Code = Hl7AckCode.ApplicationAccept, ControlId = NewControlId(), Timestamp = now });

    /// <summary>
    /// AE: the message was fine but could not be stored now (the sender should retry). Echoes the original's
    /// header when it parses, else a generic reject header.
    /// </summary>
    public static byte[] Error(ReadOnlyMemory<byte> message, DateTimeOffset now) =>
        Build(message, Hl7AckCode.ApplicationError, new Hl7AckError
        {
            Code = Hl7AckErrorCode.ApplicationInternalError,
            Text = "The message could not be stored; send it again later.",
        }, now);

    /// <summary>
    /// AR for a parsed message refused for good (unsupported type, too large, failed validation): resending the same
    /// message cannot succeed, so the sender should not retry it (HL7 v2.5 §2.9.2: a message that fails validation is
    /// answered AR). The error's text goes to the sender: positions and rules only, never content.
    /// </summary>
    public static byte[] Reject(Hl7Message message, Hl7AckError error, DateTimeOffset now) =>
        Hl7AckBuilder.Build(message, new Hl7AckRequest
        {
            Code = Hl7AckCode.ApplicationReject,
            ControlId = NewControlId(),
            Timestamp = now,
            Error = error,
        });

    /// <summary>AR for a message that does not parse (the parser's error names positions only).</summary>
    public static byte[] Reject(Hl7Error error, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Hl7AckBuilder.BuildForUnparsed(new Hl7AckRequest
        {
            Code = Hl7AckCode.ApplicationReject,
            ControlId = NewControlId(),
            Timestamp = now,
            Error = Hl7AckError.From(error),
        });
    }

    /// <summary>AR for a frame longer than the configured limit (its content was not read).</summary>
    public static byte[] TooLarge(int maxMessageBytes, DateTimeOffset now) =>
        Hl7AckBuilder.BuildForUnparsed(new Hl7AckRequest
        {
            Code = Hl7AckCode.ApplicationReject,
            ControlId = NewControlId(),
            Timestamp = now,
            Error = new Hl7AckError
            {
                Code = Hl7AckErrorCode.ApplicationInternalError,
                Text = $"The message exceeds the {maxMessageBytes}-byte limit of this interface.",
            },
        });

    private static byte[] Build(ReadOnlyMemory<byte> message, Hl7AckCode code, Hl7AckError error, DateTimeOffset now)
    {
        Hl7Result<Hl7Message> parsed = Hl7v2Parser.Parse(message);
        var request = new Hl7AckRequest { Code = code, ControlId = NewControlId(), Timestamp = now, Error = error };
        return parsed.IsSuccess ? Hl7AckBuilder.Build(parsed.Value!, request) : Hl7AckBuilder.BuildForUnparsed(request);
    }

    /// <summary>MSH-10 of the ACK itself: 20 characters (the ST length of MSH-10 before v2.7).</summary>
    internal static string NewControlId() => Guid.NewGuid().ToString("N")[..20];
}
