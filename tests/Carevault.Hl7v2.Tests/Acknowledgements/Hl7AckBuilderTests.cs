using System.Text;
using Carevault.Hl7v2.Acknowledgements;

namespace Carevault.Hl7v2.Tests.Acknowledgements;

/// <summary>
/// Round trips per HL7 v2.5.1 §2.9.2 (original-mode acknowledgment): build the ACK, parse it with our own parser and
/// check every field the standard requires.
/// </summary>
public class Hl7AckBuilderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 23, 0, 5, TimeSpan.Zero);

    private static Hl7Message Parse(string file) => Hl7v2Parser.Parse(TestData.Read(file)).Value!;

    private static Hl7Message ParseAck(byte[] ack)
    {
        Assert.DoesNotContain((byte)'\n', ack);
        Assert.Equal((byte)'\r', ack[^1]);
        Hl7Result<Hl7Message> parsed = Hl7v2Parser.Parse(ack);
        Assert.True(parsed.IsSuccess, parsed.Error?.Message);
        return parsed.Value;
    }

    [Fact]
    public void Build_Accept_SwapsApplicationsAndEchoesControlId()
    {
        Hl7Message original = Parse("ms_oru_r01_v24_minimal.hl7");

        Hl7Message ack = ParseAck(Hl7AckBuilder.Build(original, new Hl7AckRequest { Code = Hl7AckCode.ApplicationAccept, ControlId = "ACK-1", Timestamp = Now }));

        Assert.Equal(original.Delimiters, ack.Delimiters);
        Assert.Equal(original.Get("MSH", 5), ack.Get("MSH", 3));
        Assert.Equal(original.Get("MSH", 6), ack.Get("MSH", 4));
        Assert.Equal(original.Get("MSH", 3), ack.Get("MSH", 5));
        Assert.Equal(original.Get("MSH", 4), ack.Get("MSH", 6));
        Assert.Equal("20261121230005+0000", ack.Get("MSH", 7));
        Assert.Equal("ACK", ack.MessageCode);
        Assert.Equal("R01", ack.TriggerEvent);
        Assert.Equal("ACK", ack.MessageStructure);
        Assert.Equal("ACK-1", ack.ControlId);
        Assert.Equal("P", ack.ProcessingId);
        Assert.Equal("2.4", ack.Version);
        Assert.Equal(["MSH", "MSA"], ack.Segments.Select(s => s.Id));
        Assert.Equal("AA", ack.Get("MSA", 1));
        Assert.Equal("CNTRL-3456", ack.Get("MSA", 2));
    }

    [Fact]
    public void Build_ErrorOnV25_WritesErrLocationCodeSeverityAndEscapedText()
    {
        Hl7Message original = Parse("ms_oru_r01_v251.hl7");
        var error = new Hl7AckError
        {
            Code = Hl7AckErrorCode.RequiredFieldMissing,
            Text = "OBX-3 missing | see spec ^ & ~ \\",
            SegmentId = "OBX",
            SegmentSequence = 2,
            FieldPosition = 3,
        };

        Hl7Message ack = ParseAck(Hl7AckBuilder.Build(original, new Hl7AckRequest { Code = Hl7AckCode.ApplicationError, ControlId = "A2", Timestamp = Now, Error = error }));

        Assert.Equal("AE", ack.Get("MSA", 1));
        Assert.Equal(original.ControlId, ack.Get("MSA", 2));
        Hl7Segment err = ack.FindSegment("ERR")!.Value;
        Assert.True(err.Field(1).IsEmpty);
        Assert.Equal(("OBX", "2", "3"), (err.GetValue(2, 0, 1), err.GetValue(2, 0, 2), err.GetValue(2, 0, 3)));
        Assert.Equal(("101", "Required field missing", "HL70357"), (err.GetValue(3, 0, 1), err.GetValue(3, 0, 2), err.GetValue(3, 0, 3)));
        Assert.Equal("E", err.GetValue(4));
        Assert.Equal(error.Text, err.Field(8).GetString());
    }

    [Fact]
    public void Build_ErrorBeforeV25_WritesErr1()
    {
        Hl7Message original = Parse("ti_adt_a01_v23.hl7");
        var error = Hl7AckError.From(new Hl7Error(Hl7ErrorKind.Validation, Hl7ErrorCode.MissingSegment, "The required PV1 segment is missing.", "PV1"));

        Hl7Message ack = ParseAck(Hl7AckBuilder.Build(original, new Hl7AckRequest { Code = Hl7AckCode.ApplicationReject, ControlId = "A3", Timestamp = Now, Error = error }));

        Assert.Equal("AR", ack.Get("MSA", 1));
        Hl7Segment err = ack.FindSegment("ERR")!.Value;
        Assert.Equal(1, err.FieldCount);
        Assert.Equal("PV1", err.GetValue(1, 0, 1));
        Assert.Equal("101", err.GetValue(1, 0, 4, 1));
        Assert.Equal("The required PV1 segment is missing.", err.GetValue(1, 0, 4, 2));
        Assert.Equal("HL70357", err.GetValue(1, 0, 4, 3));
    }

    [Theory]
    [InlineData("ins_adt_a31_v22_nondefault_escape_char.hl7", "^~\\`")]
    [InlineData("dex_oru_r01_v251_escapes_nonascii.hl7", "^~\\&#")]
    public void Build_NonDefaultEncodingCharacters_AckUsesTheSame(string file, string encodingCharacters)
    {
        Hl7Message original = Parse(file);

        Hl7Message ack = ParseAck(Hl7AckBuilder.Build(original, new Hl7AckRequest { Code = Hl7AckCode.ApplicationAccept, ControlId = "A4", Timestamp = Now }));

        Assert.Equal(encodingCharacters, ack.Delimiters.EncodingCharacters);
        Assert.Equal(encodingCharacters, ack.Get("MSH", 2));
        Assert.Equal(original.ControlId, ack.Get("MSA", 2));
    }

    [Fact]
    public void Build_Latin1Message_AckDeclaresAndUsesLatin1()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("MSH|^~\\&|S|SF|R|RF|2024||ADT^A01|C9|P|2.5.1||||||8859/1\rPID|1\r")];
        Hl7Message original = Hl7v2Parser.Parse(bytes).Value!;
        var error = new Hl7AckError { Code = Hl7AckErrorCode.ApplicationInternalError, Text = "réessayer" };

        byte[] raw = Hl7AckBuilder.Build(original, new Hl7AckRequest { Code = Hl7AckCode.ApplicationError, ControlId = "A5", Timestamp = Now, Error = error });
        Hl7Message ack = ParseAck(raw);

        Assert.Equal("8859/1", ack.CharacterSet);
        Assert.Contains((byte)0xE9, raw);
        Assert.Equal("réessayer", ack.FindSegment("ERR")!.Value.GetValue(8));
    }

    [Fact]
    public void BuildForUnparsed_MalformedInput_RejectsWithDefaults()
    {
        Hl7Error parseError = Hl7v2Parser.Parse(TestData.Read("dex_malformed_msh2_bad_delimiters.hl7")).Error!;

        Hl7Message ack = ParseAck(Hl7AckBuilder.BuildForUnparsed(new Hl7AckRequest
        {
            Code = Hl7AckCode.ApplicationReject,
            ControlId = "A6",
            Timestamp = Now,
            Error = Hl7AckError.From(parseError),
        }));

        Assert.Equal("AR", ack.Get("MSA", 1));
        Assert.Equal(string.Empty, ack.Get("MSA", 2));
        Hl7Segment err = ack.FindSegment("ERR")!.Value;
        Assert.Equal(("MSH", "1", "2"), (err.GetValue(2, 0, 1), err.GetValue(2, 0, 2), err.GetValue(2, 0, 3)));
        Assert.Equal("102", err.GetValue(3));
        Assert.StartsWith("MSH-2 encoding characters invalid", err.GetValue(8), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EveryWellFormedCorpusMessage_RoundTrips()
    {
        int count = 0;
        foreach (string file in TestData.AllFiles())
        {
            foreach (Hl7Result<Hl7Message> result in Hl7v2Parser.ParseBatch(TestData.Read(file)).Value?.Messages ?? [])
            {
                if (result.Value is not { } original)
                {
                    continue;
                }

                Hl7Message ack = ParseAck(Hl7AckBuilder.Build(original, new Hl7AckRequest { Code = Hl7AckCode.ApplicationAccept, ControlId = "RT", Timestamp = Now }));
                Assert.Equal(original.ControlId, ack.Get("MSA", 2));
                Assert.Equal(original.Version, ack.Version);
                Assert.Equal(original.Header.Field(3).GetRawString(), ack.Header.Field(5).GetRawString());
                Assert.Equal(original.Header.Field(6).GetRawString(), ack.Header.Field(4).GetRawString());
                count++;
            }
        }

        Assert.True(count >= 25, $"only {count} messages");
    }
}
