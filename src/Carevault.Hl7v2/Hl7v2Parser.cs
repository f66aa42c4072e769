using System.Globalization;
using System.Text;

namespace Carevault.Hl7v2;

/// <summary>
/// Entry point: bytes in, <see cref="Hl7Message"/> (or <see cref="Hl7Batch"/>) out. Bad input is a returned
/// <see cref="Hl7Error"/>, never an exception.
/// </summary>
/// <remarks>
/// Structural considerations: the parser makes one pass over the bytes, recording where segments and fields start
/// and end (<see cref="Hl7SegmentTable"/>); repetitions, components and escapes are resolved only when a value is
/// read, because ingestion reads a few dozen of the hundreds of fields a lab message carries. The message keeps the
/// caller's buffer (no copy), so the caller must not reuse it while the message is alive.
/// </remarks>
public static class Hl7v2Parser
{
    private static readonly IReadOnlyList<Hl7Warning> NoWarnings = [];

    /// <summary>Parses exactly one message. A batch envelope or a second MSH is an <see cref="Hl7ErrorCode.UnexpectedSegment"/>.</summary>
    public static Hl7Result<Hl7Message> Parse(ReadOnlyMemory<byte> input, Hl7ParseOptions? options = null)
    {
        options ??= Hl7ParseOptions.Default;
        if (input.Length > options.MaxMessageBytes)
        {
            return Fail<Hl7Message>(Hl7Error.TooLarge(Hl7ErrorCode.MessageTooLarge,
                $"The message is {input.Length} bytes; the limit is {options.MaxMessageBytes}."));
        }

        return ParseMessage(input, options);
    }

    /// <summary>Parses exactly one message.</summary>
    public static Hl7Result<Hl7Message> Parse(byte[] input, Hl7ParseOptions? options = null) =>
        Parse(input.AsMemory(), options);

    /// <summary>
    /// Parses a batch or file (FHS/BHS … MSH … BTS/FTS) or a run of messages into one result per message.
    /// A lone message yields a batch of one.
    /// </summary>
    public static Hl7Result<Hl7Batch> ParseBatch(ReadOnlyMemory<byte> input, Hl7ParseOptions? options = null)
    {
        options ??= Hl7ParseOptions.Default;
        if (input.Length > options.MaxBatchBytes)
        {
            return Fail<Hl7Batch>(Hl7Error.TooLarge(Hl7ErrorCode.MessageTooLarge,
                $"The batch is {input.Length} bytes; the limit is {options.MaxBatchBytes}."));
        }

        ReadOnlySpan<byte> span = input.Span;
        var reader = new Hl7v2SegmentReader(span);
        var envelope = new Hl7SegmentTableBuilder(4, 32);
        Hl7Delimiters? envelopeDelimiters = null;
        var ranges = new List<(int Start, int End)>();
        int messageStart = -1;
        int messageEnd = -1;
        int segmentNumber = 0;
        while (reader.Read())
        {
            segmentNumber++;
            ReadOnlySpan<byte> segment = reader.Segment;
            int start = reader.SegmentStart;
            if (Hl7v2SegmentReader.HasId(segment, "MSH"u8))
            {
                if (messageStart >= 0)
                {
                    ranges.Add((messageStart, messageEnd));
                    if (ranges.Count >= options.MaxMessagesPerBatch)
                    {
                        return Fail<Hl7Batch>(Hl7Error.TooLarge(Hl7ErrorCode.TooManyMessages,
                            $"The batch holds more than {options.MaxMessagesPerBatch} messages."));
                    }
                }

                messageStart = start;
                messageEnd = start + segment.Length;
                continue;
            }

            bool isHeader = Hl7v2SegmentReader.HasId(segment, "FHS"u8) || Hl7v2SegmentReader.HasId(segment, "BHS"u8);
            bool isTrailer = Hl7v2SegmentReader.HasId(segment, "FTS"u8) || Hl7v2SegmentReader.HasId(segment, "BTS"u8);
            if (isHeader || isTrailer)
            {
                if (messageStart >= 0)
                {
                    ranges.Add((messageStart, messageEnd));
                    messageStart = -1;
                }

                Hl7Delimiters delimiters;
                if (envelopeDelimiters is { } known)
                {
                    delimiters = known;
                }
                else if (isHeader)
                {
                    if (!Hl7Delimiters.TryRead(segment[3..], out delimiters, out Hl7ErrorCode code))
                    {
                        string id = Encoding.ASCII.GetString(segment[..3]);
                        return Fail<Hl7Batch>(DelimiterError(code, id));
                    }

                    envelopeDelimiters = delimiters;
                }
                else
                {
                    delimiters = Hl7Delimiters.Default;
                }

                Hl7Error? error = AddSegment(ref envelope, segment, start, delimiters, isHeader, segmentNumber, options);
                if (error is not null)
                {
                    return Fail<Hl7Batch>(error);
                }

                continue;
            }

            if (messageStart < 0)
            {
                return Fail<Hl7Batch>(Hl7Error.Invalid(Hl7ErrorCode.SegmentBeforeMessageHeader,
                    "A segment appears before any MSH.", $"segment {segmentNumber}"));
            }

            messageEnd = start + segment.Length;
        }

        if (messageStart >= 0)
        {
            ranges.Add((messageStart, messageEnd));
        }

        if (ranges.Count == 0 && envelope.SegmentCount == 0)
        {
            return Fail<Hl7Batch>(Hl7Error.Invalid(Hl7ErrorCode.EmptyMessage, "The input holds no segments."));
        }

        if (ranges.Count > options.MaxMessagesPerBatch)
        {
            return Fail<Hl7Batch>(Hl7Error.TooLarge(Hl7ErrorCode.TooManyMessages,
                $"The batch holds more than {options.MaxMessagesPerBatch} messages."));
        }

        var messages = new Hl7Result<Hl7Message>[ranges.Count];
        for (int i = 0; i < ranges.Count; i++)
        {
            (int s, int e) = ranges[i];
            messages[i] = Parse(input[s..e], options);
        }

        Hl7SegmentTable envelopeTable = envelope.Build(input, envelopeDelimiters ?? Hl7Delimiters.Default, Hl7CharacterSets.Utf8);
        return Hl7Result.Success(new Hl7Batch(new Hl7SegmentList(envelopeTable), messages));
    }

    private static Hl7Result<Hl7Message> ParseMessage(ReadOnlyMemory<byte> input, Hl7ParseOptions options)
    {
        ReadOnlySpan<byte> span = input.Span;
        var reader = new Hl7v2SegmentReader(span);
        if (!reader.Read())
        {
            return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.EmptyMessage, "The input holds no segments."));
        }

        ReadOnlySpan<byte> first = reader.Segment;
        if (!Hl7v2SegmentReader.HasId(first, "MSH"u8))
        {
            bool batch = Hl7v2SegmentReader.HasId(first, "FHS"u8) || Hl7v2SegmentReader.HasId(first, "BHS"u8);
            return Fail<Hl7Message>(batch
                ? Hl7Error.Invalid(Hl7ErrorCode.UnexpectedSegment, "The input is a batch (FHS/BHS); parse it as a batch.", "segment 1")
                : Hl7Error.Invalid(Hl7ErrorCode.MissingMessageHeader, "The first segment is not MSH.", "segment 1"));
        }

        if (!Hl7Delimiters.TryRead(first[3..], out Hl7Delimiters delimiters, out Hl7ErrorCode delimiterError))
        {
            return Fail<Hl7Message>(DelimiterError(delimiterError, "MSH"));
        }

        // A rough guess (one segment per 80 bytes, one field per 8) avoids most regrowth without over-reserving.
        var builder = new Hl7SegmentTableBuilder(Math.Min(span.Length / 80, 4096) + 4, Math.Min(span.Length / 8, 65536) + 16);
        int segmentNumber = 0;
        do
        {
            segmentNumber++;
            if (segmentNumber > options.MaxSegmentsPerMessage)
            {
                return Fail<Hl7Message>(Hl7Error.TooLarge(Hl7ErrorCode.TooManySegments,
                    $"The message has more than {options.MaxSegmentsPerMessage} segments."));
            }

            ReadOnlySpan<byte> segment = reader.Segment;
            if (segmentNumber > 1)
            {
                int idLength = segment.IndexOf(delimiters.Field);
                ReadOnlySpan<byte> id = idLength < 0 ? segment : segment[..idLength];
                if (!Hl7SegmentIds.IsValid(id))
                {
                    return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.InvalidSegmentId,
                        "A segment id is not three upper-case letters or digits.", $"segment {segmentNumber}"));
                }

                if (IsEnvelopeOrHeader(id))
                {
                    return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.UnexpectedSegment,
                        "A second message header or a batch segment appears inside the message; parse the input as a batch.",
                        $"segment {segmentNumber}"));
                }
            }

            Hl7Error? error = AddSegment(ref builder, segment, reader.SegmentStart, delimiters, segmentNumber == 1, segmentNumber, options);
            if (error is not null)
            {
                return Fail<Hl7Message>(error);
            }
        }
        while (reader.Read());

        return Finish(input, builder, delimiters);
    }

    private static Hl7Result<Hl7Message> Finish(ReadOnlyMemory<byte> input, Hl7SegmentTableBuilder builder, Hl7Delimiters delimiters)
    {
        // Values are read through a provisional table (UTF-8) to find MSH-18, then the real table is built.
        Hl7SegmentTable provisional = builder.Build(input, delimiters, Hl7CharacterSets.Utf8);
        var msh = new Hl7Segment(provisional, 0);
        if (msh.FieldCount < 12)
        {
            return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.TruncatedMessageHeader,
                $"MSH ends after field {msh.FieldCount}; fields up to MSH-12 (version) are required.", "MSH"));
        }

        if (msh.Field(9).Component(1).IsEmpty)
        {
            return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.MissingMessageType, "MSH-9 (message type) is empty.", "MSH-9"));
        }

        if (msh.Field(10).IsEmpty)
        {
            return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.MissingControlId, "MSH-10 (message control id) is empty.", "MSH-10"));
        }

        if (msh.Field(12).Component(1).IsEmpty)
        {
            return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.MissingVersion, "MSH-12 (version id) is empty.", "MSH-12"));
        }

        List<Hl7Warning>? warnings = null;
        string charsetName = msh.Field(18).Repetition(0).GetRawString();
        Encoding encoding = Hl7CharacterSets.Resolve(charsetName, out Hl7CharacterSetSupport support);
        if (support == Hl7CharacterSetSupport.Unsupported)
        {
            return Fail<Hl7Message>(Hl7Error.Invalid(Hl7ErrorCode.UnsupportedCharacterSet,
                "MSH-18 names a multi-byte character set that cannot carry single-byte delimiters.", "MSH-18"));
        }

        if (support == Hl7CharacterSetSupport.Unknown)
        {
            (warnings ??= []).Add(new Hl7Warning(Hl7WarningCode.UnknownCharacterSet,
                "MSH-18 names an unknown character set; values are decoded as UTF-8.", "MSH-18"));
        }

        if (delimiters.Truncation is not null && IsBefore27(msh.Field(12).Component(1).Raw))
        {
            (warnings ??= []).Add(new Hl7Warning(Hl7WarningCode.TruncationCharacterBeforeV27,
                "MSH-2 declares a truncation character, which HL7 introduced in v2.7; MSH-12 is older.", "MSH-2"));
        }

        Hl7SegmentTable table = ReferenceEquals(encoding, Hl7CharacterSets.Utf8)
            ? provisional
            : builder.Build(input, delimiters, encoding);
        return Hl7Result.Success(new Hl7Message(table, warnings ?? NoWarnings));
    }

    /// <summary>Records a segment's fields. For MSH/FHS/BHS, field 1 is the separator itself and field 2 MSH-2.</summary>
    private static Hl7Error? AddSegment(
        ref Hl7SegmentTableBuilder builder,
        ReadOnlySpan<byte> segment,
        int offset,
        in Hl7Delimiters delimiters,
        bool isHeader,
        int segmentNumber,
        Hl7ParseOptions options)
    {
        byte separator = delimiters.Field;
        builder.BeginSegment();
        int position;
        int fields;
        if (isHeader && segment.Length > 3)
        {
            // HL7 v2.5.1 §2.14.9.1: MSH-1 is the field separator character itself, MSH-2 the encoding characters.
            int encodingEnd = segment[4..].IndexOf(separator);
            encodingEnd = encodingEnd < 0 ? segment.Length : encodingEnd + 4;
            builder.AddField(offset, offset + 3);
            builder.AddField(offset + 3, offset + 4);
            builder.AddField(offset + 4, offset + encodingEnd);
            position = encodingEnd;
            fields = 3;
        }
        else
        {
            int idEnd = segment.IndexOf(separator);
            idEnd = idEnd < 0 ? segment.Length : idEnd;
            builder.AddField(offset, offset + idEnd);
            position = idEnd;
            fields = 1;
        }

        while (position < segment.Length)
        {
            int start = position + 1;
            int length = segment[start..].IndexOf(separator);
            int end = length < 0 ? segment.Length : start + length;
            if (end - start > options.MaxFieldBytes)
            {
                return Hl7Error.TooLarge(Hl7ErrorCode.FieldTooLong,
                    $"Field {fields} is {end - start} bytes; the limit is {options.MaxFieldBytes}.", $"segment {segmentNumber}");
            }

            if (++fields > options.MaxFieldsPerSegment)
            {
                return Hl7Error.TooLarge(Hl7ErrorCode.TooManyFields,
                    $"The segment has more than {options.MaxFieldsPerSegment} fields.", $"segment {segmentNumber}");
            }

            builder.AddField(offset + start, offset + end);
            position = end;
        }

        return null;
    }

    private static bool IsEnvelopeOrHeader(ReadOnlySpan<byte> id) =>
        id.SequenceEqual("MSH"u8) || id.SequenceEqual("FHS"u8) || id.SequenceEqual("BHS"u8)
        || id.SequenceEqual("BTS"u8) || id.SequenceEqual("FTS"u8);

    private static bool IsBefore27(ReadOnlySpan<byte> version)
    {
        // "2.5.1" → 2.5; anything unreadable is treated as not-before, so no spurious warning.
        int dot = version.IndexOf((byte)'.');
        if (dot <= 0
            || !int.TryParse(version[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int major))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = version[(dot + 1)..];
        int next = rest.IndexOf((byte)'.');
        ReadOnlySpan<byte> minorBytes = next < 0 ? rest : rest[..next];
        return int.TryParse(minorBytes, NumberStyles.None, CultureInfo.InvariantCulture, out int minor)
            && (major < 2 || (major == 2 && minor < 7));
    }

    private static Hl7Error DelimiterError(Hl7ErrorCode code, string segmentId) => code switch
    {
        Hl7ErrorCode.InvalidFieldSeparator => Hl7Error.Invalid(code,
            $"{segmentId}-1 (field separator) is missing or not a permitted character.", $"{segmentId}-1"),
        Hl7ErrorCode.InvalidEncodingCharacters => Hl7Error.Invalid(code,
            $"{segmentId}-2 encoding characters invalid: expected 4 (or 5) distinct characters, none a letter, digit or the field separator.",
            $"{segmentId}-2"),
        _ => Hl7Error.Invalid(Hl7ErrorCode.TruncatedMessageHeader,
            $"{segmentId} ends before its encoding characters are complete.", segmentId),
    };

    private static Hl7Result<T> Fail<T>(Hl7Error error)
        where T : class => Hl7Result.Failure<T>(error);
}
