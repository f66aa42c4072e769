using System.Text;

namespace Carevault.Hl7v2.Tests;

public class Hl7v2ParserTests
{
    private static Hl7Message ParseOk(string text, Hl7ParseOptions? options = null)
    {
        Hl7Result<Hl7Message> result = Hl7v2Parser.Parse(Encoding.UTF8.GetBytes(text), options);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    private static Hl7Error ParseFails(string text, Hl7ParseOptions? options = null) => ParseFails(Encoding.UTF8.GetBytes(text), options);

    private static Hl7Error ParseFails(byte[] bytes, Hl7ParseOptions? options = null)
    {
        Hl7Result<Hl7Message> result = Hl7v2Parser.Parse(bytes, options);
        Assert.False(result.IsSuccess);
        return result.Error;
    }

    private const string Minimal = "MSH|^~\\&|SND|SFAC|RCV|RFAC|20240101120000||ORU^R01^ORU_R01|CTRL1|P|2.5.1\r";

    [Fact]
    public void Parse_MinimalMessage_ReadsHeaderValues()
    {
        Hl7Message message = ParseOk(Minimal + "PID|1||123^^^HOSP&1.2.3&ISO^MR||DOE^JOHN^Q\r");

        Assert.Equal("ORU", message.MessageCode);
        Assert.Equal("R01", message.TriggerEvent);
        Assert.Equal("ORU_R01", message.MessageStructure);
        Assert.Equal("ORU^R01", message.MessageType);
        Assert.Equal("CTRL1", message.ControlId);
        Assert.Equal("P", message.ProcessingId);
        Assert.Equal("2.5.1", message.Version);
        Assert.Null(message.CharacterSet);
        Assert.Equal(2, message.Segments.Count);
        Assert.Equal("|", message.Get("MSH", 1));
        Assert.Equal("^~\\&", message.Get("MSH", 2));
        Assert.Equal("DOE", message.Get("PID", 5, repetition: 0, component: 1));
        Assert.Equal("JOHN", message.Get("PID", 5, 0, 2));
        Assert.Equal("1.2.3", message.Get("PID", 3, 0, 4, 2));
        Assert.Equal(string.Empty, message.Get("PID", 30));
        Assert.Null(message.Get("OBX", 5));
        Assert.Empty(message.Warnings);
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\n\r\n\r")]
    public void Parse_AnySegmentTerminator_YieldsSameSegments(string terminator)
    {
        string text = Minimal.TrimEnd('\r') + terminator + "PID|1" + terminator + terminator + "OBX|1|ST|X||v" + terminator;

        Hl7Message message = ParseOk(text);

        Assert.Equal(3, message.Segments.Count);
        Assert.Equal(["MSH", "PID", "OBX"], message.Segments.Select(s => s.Id));
        Assert.Equal("v", message.Get("OBX", 5));
    }

    [Fact]
    public void Parse_LeadingUtf8Bom_IsSkipped()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Minimal)];

        Hl7Result<Hl7Message> result = Hl7v2Parser.Parse(bytes);

        Assert.True(result.IsSuccess);
        Assert.Equal("MSH", result.Value.Header.Id);
    }

    [Fact]
    public void Parse_NonDefaultDelimiters_SplitsWithThem()
    {
        Hl7Message message = ParseOk("MSH*%$!`*A*B*C*D*20240101**ADT%A01*1*P*2.5\rPID*1**a%b$c`d`e**x!F!y\r");

        Assert.Equal(new Hl7Delimiters((byte)'*', (byte)'%', (byte)'$', (byte)'!', (byte)'`', null), message.Delimiters);
        Assert.Equal("*", message.Get("MSH", 1));
        Assert.Equal("ADT^A01", message.MessageType);
        Hl7Value pid3 = message.FindSegment("PID")!.Value.Field(3);
        Assert.Equal(2, pid3.RepetitionCount);
        Assert.Equal("a", pid3.Component(1).GetString());
        Assert.Equal("d", pid3.Repetition(1).Component(1).SubComponent(2).GetString());
        Assert.Equal(3, pid3.Repetition(1).Component(1).SubComponentCount);
        Assert.Equal("x*y", message.Get("PID", 5));
    }

    [Fact]
    public void Parse_FiveEncodingCharacters_ReadsTruncationCharacter()
    {
        Hl7Message message = ParseOk("MSH|^~\\&#|A|B|C|D|20240101||ADT^A01|1|P|2.7\rPID|1||abc#|x\\P\\y\r");

        Assert.Equal((byte)'#', message.Delimiters.Truncation);
        Assert.Equal("^~\\&#", message.Delimiters.EncodingCharacters);
        Assert.Equal("^~\\&#", message.Get("MSH", 2));
        Assert.Equal("abc#", message.Get("PID", 3));
        Assert.Equal("x#y", message.Get("PID", 4));
        Assert.Empty(message.Warnings);
    }

    [Fact]
    public void Parse_TruncationCharacterBeforeV27_WarnsButParses()
    {
        Hl7Message message = ParseOk("MSH|^~\\&#|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\r");

        Hl7Warning warning = Assert.Single(message.Warnings);
        Assert.Equal(Hl7WarningCode.TruncationCharacterBeforeV27, warning.Code);
        Assert.Equal("MSH-2", warning.Target);
    }

    [Theory]
    [InlineData("Test\\F\\Value", "Test|Value")]
    [InlineData("a\\S\\b\\T\\c\\R\\d\\E\\e", "a^b&c~d\\e")]
    [InlineData("line1\\.br\\line2", "line1\nline2")]
    [InlineData("\\X41C3A9\\", "Aé")]
    [InlineData("\\X0D0A\\", "\r\n")]
    [InlineData("keep \\Zcustom\\ as is", "keep \\Zcustom\\ as is")]
    [InlineData("keep \\C2842\\ and \\M2442\\", "keep \\C2842\\ and \\M2442\\")]
    [InlineData("\\H\\bold\\N\\", "bold")]
    [InlineData("bad hex \\XZZ\\", "bad hex \\XZZ\\")]
    [InlineData("unterminated \\F", "unterminated \\F")]
    [InlineData("empty \\\\ seq", "empty \\\\ seq")]
    public void GetString_EscapeSequences_AreResolved(string raw, string expected)
    {
        Hl7Message message = ParseOk(Minimal + "NTE|1||" + raw + "\r");

        Assert.Equal(expected, message.Get("NTE", 3));
        Assert.Equal(raw, message.FindSegment("NTE")!.Value.Field(3).GetRawString());
    }

    [Fact]
    public void GetString_EscapeWithNonDefaultEscapeCharacter_UsesIt()
    {
        Hl7Message message = ParseOk("MSH|^~`&|A|B|C|D|1||ADT^A01|1|P|2.5\rNTE|1||x`F`y\\z\r");

        Assert.Equal("x|y\\z", message.Get("NTE", 3));
    }

    [Fact]
    public void Escape_ThenUnescape_RoundTrips()
    {
        const string value = "a|b^c&d~e\\f\r\ng";

        string escaped = Hl7Escaping.Escape(value, Hl7Delimiters.Default);

        Assert.Equal("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g", escaped);
        Assert.Equal("a|b^c&d~e\\f\ng", Hl7Escaping.Unescape(Encoding.UTF8.GetBytes(escaped), Hl7Delimiters.Default, Encoding.UTF8));
    }

    [Fact]
    public void Parse_Msh18Latin1_DecodesLatin1()
    {
        byte[] head = Encoding.ASCII.GetBytes("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5||||||8859/1\rPID|1||");
        byte[] bytes = [.. head, 0xE9, (byte)'\r'];

        Hl7Message message = Hl7v2Parser.Parse(bytes).Value!;

        Assert.Equal("8859/1", message.CharacterSet);
        Assert.Equal("é", message.Get("PID", 3));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ASCII")]
    [InlineData("UNICODE UTF-8")]
    public void Parse_Msh18Utf8OrAbsent_DecodesUtf8(string charset)
    {
        Hl7Message message = ParseOk($"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5||||||{charset}\rPID|1||µmol\r");

        Assert.Equal("µmol", message.Get("PID", 3));
        Assert.Empty(message.Warnings);
    }

    [Fact]
    public void Parse_Msh18Unknown_WarnsAndDecodesUtf8()
    {
        Hl7Message message = ParseOk("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5||||||ISO IR14\rPID|1||µ\r");

        Assert.Equal(Hl7WarningCode.UnknownCharacterSet, Assert.Single(message.Warnings).Code);
        Assert.Equal("µ", message.Get("PID", 3));
    }

    [Fact]
    public void Parse_Msh18Utf16_FailsUnsupported()
    {
        Hl7Error error = ParseFails("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5||||||UNICODE UTF-16\r");

        Assert.Equal(Hl7ErrorCode.UnsupportedCharacterSet, error.Code);
    }

    [Theory]
    [InlineData("", Hl7ErrorCode.EmptyMessage)]
    [InlineData("\r\n\r\n", Hl7ErrorCode.EmptyMessage)]
    [InlineData("PID|1\r", Hl7ErrorCode.MissingMessageHeader)]
    [InlineData("MSH", Hl7ErrorCode.TruncatedMessageHeader)]
    [InlineData("MSH|", Hl7ErrorCode.TruncatedMessageHeader)]
    [InlineData("MSH|^~\\&", Hl7ErrorCode.TruncatedMessageHeader)]
    [InlineData("MSH|^~\\&|App|Fac", Hl7ErrorCode.TruncatedMessageHeader)]
    [InlineData("MSHA^~\\&|", Hl7ErrorCode.MissingMessageHeader)]
    [InlineData("MSH ^~\\& ", Hl7ErrorCode.InvalidFieldSeparator)]
    [InlineData("MSH|&&&&|A|B|C|D|1||ADT^A01|1|P|2.5", Hl7ErrorCode.InvalidEncodingCharacters)]
    [InlineData("MSH|^~\\|A|B|C|D|1||ADT^A01|1|P|2.5", Hl7ErrorCode.InvalidEncodingCharacters)]
    [InlineData("MSH|^~\\&#!|A|B|C|D|1||ADT^A01|1|P|2.5", Hl7ErrorCode.InvalidEncodingCharacters)]
    [InlineData("MSH|^~a&|A|B|C|D|1||ADT^A01|1|P|2.5", Hl7ErrorCode.InvalidEncodingCharacters)]
    [InlineData("MSH|^~\\&|A|B|C|D|1|||1|P|2.5", Hl7ErrorCode.MissingMessageType)]
    [InlineData("MSH|^~\\&|A|B|C|D|1||^A01|1|P|2.5", Hl7ErrorCode.MissingMessageType)]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01||P|2.5", Hl7ErrorCode.MissingControlId)]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|", Hl7ErrorCode.MissingVersion)]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rpid|1", Hl7ErrorCode.InvalidSegmentId)]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPIDX|1", Hl7ErrorCode.InvalidSegmentId)]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rMSH|^~\\&|A|B|C|D|1||ADT^A01|2|P|2.5", Hl7ErrorCode.UnexpectedSegment)]
    [InlineData("BHS|^~\\&\rMSH|^~\\&|A|B|C|D|1||ADT^A01|2|P|2.5", Hl7ErrorCode.UnexpectedSegment)]
    public void Parse_BadInput_FailsWithSpecificReason(string text, Hl7ErrorCode expected)
    {
        Hl7Error error = ParseFails(text);

        Assert.Equal(expected, error.Code);
        Assert.Equal(Hl7ErrorKind.Validation, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Parse_BadEncodingCharacters_NamesMsh2()
    {
        Hl7Error error = ParseFails("MSH|&&&&|A|B|C|D|1||ADT^A01|1|P|2.5");

        Assert.Equal("MSH-2", error.Target);
        Assert.StartsWith("MSH-2 encoding characters invalid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverMaxMessageBytes_FailsTooLarge()
    {
        var options = new Hl7ParseOptions { MaxMessageBytes = Minimal.Length - 1 };

        Hl7Error error = ParseFails(Minimal, options);

        Assert.Equal(Hl7ErrorKind.TooLarge, error.Kind);
        Assert.Equal(Hl7ErrorCode.MessageTooLarge, error.Code);
        Assert.True(Hl7v2Parser.Parse(Encoding.UTF8.GetBytes(Minimal), options with { MaxMessageBytes = Minimal.Length }).IsSuccess);
    }

    [Fact]
    public void Parse_OverMaxSegments_FailsTooLarge()
    {
        string text = Minimal + "NTE|1\rNTE|2\r";

        Assert.Equal(Hl7ErrorCode.TooManySegments, ParseFails(text, new Hl7ParseOptions { MaxSegmentsPerMessage = 2 }).Code);
        Assert.Equal(3, ParseOk(text, new Hl7ParseOptions { MaxSegmentsPerMessage = 3 }).Segments.Count);
    }

    [Fact]
    public void Parse_OverMaxFieldsPerSegment_FailsTooLarge()
    {
        // NTE + 20 fields = 21 slots; MSH has 13.
        string text = Minimal + "NTE" + string.Concat(Enumerable.Repeat("|x", 20)) + "\r";

        Assert.Equal(Hl7ErrorCode.TooManyFields, ParseFails(text, new Hl7ParseOptions { MaxFieldsPerSegment = 20 }).Code);
        Assert.True(Hl7v2Parser.Parse(Encoding.UTF8.GetBytes(text), new Hl7ParseOptions { MaxFieldsPerSegment = 21 }).IsSuccess);
    }

    [Fact]
    public void Parse_OverMaxFieldBytes_FailsTooLarge()
    {
        string text = Minimal + "NTE|1||" + new string('x', 100) + "\r";

        Hl7Error error = ParseFails(text, new Hl7ParseOptions { MaxFieldBytes = 99 });

        Assert.Equal(Hl7ErrorCode.FieldTooLong, error.Code);
        Assert.Equal("segment 2", error.Target);
        Assert.True(Hl7v2Parser.Parse(Encoding.UTF8.GetBytes(text), new Hl7ParseOptions { MaxFieldBytes = 100 }).IsSuccess);
    }

    [Fact]
    public void Value_Navigation_PastTheEnd_IsEmptyNotException()
    {
        Hl7Message message = ParseOk(Minimal + "PID|1||a~b\r");
        Hl7Segment pid = message.FindSegment("PID")!.Value;

        Assert.Equal(3, pid.FieldCount);
        Assert.True(pid.Field(99).IsEmpty);
        Assert.True(pid.Field(-1).IsEmpty);
        Assert.True(pid.Field(3).Repetition(5).IsEmpty);
        Assert.True(pid.Field(3).Component(0).IsEmpty);
        Assert.True(pid.Field(3).Component(7).SubComponent(3).IsEmpty);
        Assert.Equal("b", pid.Field(3).Repetition(1).GetString());
        Assert.Equal(0, pid.Field(2).RepetitionCount);
    }

    [Fact]
    public void Value_ExplicitNull_IsRecognised()
    {
        Hl7Message message = ParseOk(Minimal + "PID|1||\"\"\r");
        Hl7Value value = message.FindSegment("PID")!.Value.Field(3);

        Assert.True(value.IsExplicitNull);
        Assert.Null(value.GetStringOrNull());
    }

    [Fact]
    public void Parse_DoesNotCopyTheInput()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Minimal);

        Hl7Message message = Hl7v2Parser.Parse(bytes).Value!;

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Raw, out ArraySegment<byte> segment));
        Assert.Same(bytes, segment.Array);
    }

    [Fact]
    public void ParseBatch_FileWithBatch_SplitsMessages()
    {
        string text = "FHS|^~\\&|F\rBHS|^~\\&|B\r" + Minimal + "PID|1\r" + Minimal.Replace("CTRL1", "CTRL2", StringComparison.Ordinal) + "BTS|2\rFTS|1\r";

        Hl7Result<Hl7Batch> result = Hl7v2Parser.ParseBatch(Encoding.UTF8.GetBytes(text));

        Assert.True(result.IsSuccess);
        Hl7Batch batch = result.Value;
        Assert.Equal(2, batch.Messages.Count);
        Assert.Equal("CTRL1", batch.Messages[0].Value!.ControlId);
        Assert.Equal(2, batch.Messages[0].Value!.Segments.Count);
        Assert.Equal("CTRL2", batch.Messages[1].Value!.ControlId);
        Assert.Equal(4, batch.Envelope.Count);
        Assert.Equal("F", batch.FileHeader!.Value.GetValue(3));
        Assert.Equal("^~\\&", batch.BatchHeader!.Value.GetValue(2));
        Assert.Equal("2", batch.Envelope[2].GetValue(1));
    }

    [Fact]
    public void ParseBatch_OneBadMessage_KeepsTheOthers()
    {
        string text = "BHS|^~\\&\r" + Minimal + "MSH|&&&&|x\r" + Minimal + "BTS|3\r";

        Hl7Batch batch = Hl7v2Parser.ParseBatch(Encoding.UTF8.GetBytes(text)).Value!;

        Assert.Equal(3, batch.Messages.Count);
        Assert.True(batch.Messages[0].IsSuccess);
        Assert.Equal(Hl7ErrorCode.InvalidEncodingCharacters, batch.Messages[1].Error!.Code);
        Assert.True(batch.Messages[2].IsSuccess);
    }

    [Fact]
    public void ParseBatch_SegmentBeforeMsh_Fails()
    {
        Hl7Result<Hl7Batch> result = Hl7v2Parser.ParseBatch(Encoding.UTF8.GetBytes("BHS|^~\\&\rPID|1\r" + Minimal));

        Assert.Equal(Hl7ErrorCode.SegmentBeforeMessageHeader, result.Error!.Code);
    }

    [Fact]
    public void ParseBatch_OverMaxMessages_FailsTooLarge()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Minimal + Minimal + Minimal);

        Assert.Equal(Hl7ErrorCode.TooManyMessages, Hl7v2Parser.ParseBatch(bytes, new Hl7ParseOptions { MaxMessagesPerBatch = 2 }).Error!.Code);
        Assert.Equal(3, Hl7v2Parser.ParseBatch(bytes, new Hl7ParseOptions { MaxMessagesPerBatch = 3 }).Value!.Messages.Count);
    }

    [Fact]
    public void ParseBatch_OverMaxBatchBytes_FailsTooLarge()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Minimal + Minimal);

        Hl7Error error = Hl7v2Parser.ParseBatch(bytes, new Hl7ParseOptions { MaxBatchBytes = bytes.Length - 1 }).Error!;

        Assert.Equal(Hl7ErrorCode.MessageTooLarge, error.Code);
        Assert.Equal(Hl7ErrorKind.TooLarge, error.Kind);
    }

    [Fact]
    public void ParseBatch_Empty_FailsEmpty()
    {
        Assert.Equal(Hl7ErrorCode.EmptyMessage, Hl7v2Parser.ParseBatch(ReadOnlyMemory<byte>.Empty).Error!.Code);
    }

    [Fact]
    public void SegmentReader_MixedTerminators_ReturnsEachSegmentOnce()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "A\rB\nC\r\nD\n\r  \r\nE"u8];
        var reader = new Hl7v2SegmentReader(bytes);
        var ids = new List<string>();

        while (reader.Read())
        {
            ids.Add(Encoding.ASCII.GetString(reader.Segment));
        }

        Assert.Equal(["A", "B", "C", "D", "E"], ids);
    }

    [Fact]
    public void DefaultStructs_AreEmptyNotExceptions()
    {
        Hl7Segment segment = default;
        Hl7Value value = default;

        Assert.Equal(0, segment.FieldCount);
        Assert.True(segment.Raw.IsEmpty);
        Assert.True(segment.Field(1).IsEmpty);
        Assert.Equal(string.Empty, value.GetString());
        Assert.True(value.Component(3).SubComponent(2).IsEmpty);
        Assert.Empty(new Hl7SegmentList());
    }
}
