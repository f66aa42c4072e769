using System.Globalization;
using Carevault.Hl7v2;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>
/// HL7 v2 entry: parses a message or a FHS/BHS batch and maps every message into one Bundle. One message that
/// fails fails the whole file (nothing half-stored); the error names its position in the batch.
/// </summary>
internal static class Hl7v2ReportMapper
{
    public static readonly MappingError MissingPatientIdentifier = new("hl7.missing-patient-identifier",
        "PID-3 holds no identifier with an assigning authority and the upload names no patient identifier.");

    public static MappingResult Map(MappingInput input)
    {
        Hl7Result<Hl7Batch> parsed = Hl7v2Parser.ParseBatch(input.Content);
        if (!parsed.IsSuccess)
        {
            return MappingResult.Failure(ToMappingError(parsed.Error!));
        }

        IReadOnlyList<Hl7Result<Hl7Message>> messages = parsed.Value!.Messages;
        if (messages.Count == 0)
        {
            return MappingResult.Failure("hl7.empty-batch", "The batch holds no message.");
        }

        var bundle = new TransactionBundleBuilder(input.OriginalSha256);
        for (int i = 0; i < messages.Count; i++)
        {
            MappingError? error = messages[i].IsSuccess
                ? MapMessage(messages[i].Value!, "m" + i.ToString(CultureInfo.InvariantCulture), input, bundle)
                : ToMappingError(messages[i].Error!);
            if (error is not null)
            {
                return MappingResult.Failure(messages.Count == 1 ? error : error with { Message = $"Message {i + 1} of the batch: {error.Message}" });
            }
        }

        return MappingResult.Success(bundle.Build());
    }

    private static MappingError? MapMessage(Hl7Message message, string prefix, MappingInput input, TransactionBundleBuilder bundle) =>
        (message.MessageCode, message.TriggerEvent) switch
        {
            ("ORU", "R01") => OruR01ToDiagnosticReportMapper.Map(message, prefix, input, bundle),
            ("ADT", "A01" or "A04" or "A08") => AdtToPatientEncounterMapper.Map(message, prefix, input, bundle),
            ("MDM", "T02") => MdmT02ToDocumentReferenceMapper.Map(message, prefix, input, bundle),
            _ => new MappingError("hl7.unsupported-message-type",
                "The message type (MSH-9) is not one Carevault maps: ORU^R01, ADT^A01/A04/A08 or MDM^T02."),
        };

    /// <summary>A parser error as a stable mapping code; the parser's messages name positions only.</summary>
    public static MappingError ToMappingError(Hl7Error error) => new(error.Code switch
    {
        Hl7ErrorCode.EmptyMessage => "hl7.empty-message",
        Hl7ErrorCode.MissingMessageHeader => "hl7.missing-msh",
        Hl7ErrorCode.TruncatedMessageHeader => "hl7.truncated-msh",
        Hl7ErrorCode.InvalidFieldSeparator => "hl7.invalid-msh1",
        Hl7ErrorCode.InvalidEncodingCharacters => "hl7.invalid-msh2",
        Hl7ErrorCode.MissingMessageType => "hl7.missing-msh9",
        Hl7ErrorCode.MissingControlId => "hl7.missing-msh10",
        Hl7ErrorCode.MissingVersion => "hl7.missing-msh12",
        Hl7ErrorCode.UnsupportedCharacterSet => "hl7.unsupported-charset",
        Hl7ErrorCode.InvalidSegmentId => "hl7.invalid-segment-id",
        Hl7ErrorCode.UnexpectedSegment => "hl7.unexpected-segment",
        Hl7ErrorCode.SegmentBeforeMessageHeader => "hl7.segment-before-msh",
        Hl7ErrorCode.UnexpectedMessageType => "hl7.unsupported-message-type",
        Hl7ErrorCode.MissingSegment => "hl7.missing-segment",
        Hl7ErrorCode.MessageTooLarge => "hl7.too-large",
        Hl7ErrorCode.TooManySegments => "hl7.too-many-segments",
        Hl7ErrorCode.TooManyFields => "hl7.too-many-fields",
        Hl7ErrorCode.FieldTooLong => "hl7.field-too-long",
        Hl7ErrorCode.TooManyMessages => "hl7.too-many-messages",
        _ => "hl7.invalid",
    }, error.Message);
}
