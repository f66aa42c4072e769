using Carevault.Hl7v2.Messages;

namespace Carevault.Hl7v2.Tests;

/// <summary>Every file in tests/data/hl7v2 (see SOURCES.md there) with what a correct parser must find in it.</summary>
public class Hl7v2CorpusTests
{
    /// <summary>A value check: segment id, 0-based occurrence of that segment, field, repetition, component, sub-component.</summary>
    public sealed record Check(string Segment, int Occurrence, int Field, int Repetition, int Component, int SubComponent, string Expected);

    public sealed record Expectation(
        string? MessageType = null,
        string? Version = null,
        int[]? Segments = null,
        Hl7ErrorCode? Error = null,
        Hl7WarningCode? Warning = null,
        Check[]? Checks = null);

    private static Check C(string seg, int field, string expected, int component = 1, int repetition = 0, int sub = 1, int occurrence = 0) =>
        new(seg, occurrence, field, repetition, component, sub, expected);

    /// <summary>Expected results, one entry per corpus file; a new file without an entry fails the theory.</summary>
    private static readonly Dictionary<string, Expectation> Expected = new(StringComparer.Ordinal)
    {
        ["dex_batch_fhs_bhs_5_messages.hl7"] = new("ORU^R01", "2.5.1", [7, 7, 7, 7, 10], Warning: Hl7WarningCode.TruncationCharacterBeforeV27,
            Checks: [C("MSH", 10, "3915949_M2002000005-01"), C("PID", 3, "1040970"), C("PID", 3, "2.16.840.1.114222.4.3.3.2.12.2", component: 4, sub: 2), C("OBX", 3, "94309-2")]),
        ["dex_malformed_bad_message_msh2_5chars.hl7"] = new("ORU^R01", "2.5.1", [11], Warning: Hl7WarningCode.TruncationCharacterBeforeV27,
            Checks: [C("PID", 5, "SAVE"), C("PID", 10, "2131-1"), C("PID", 10, string.Empty, component: 7), C("PID", 10, "Other", component: 9)]),
        ["dex_malformed_msh2_bad_delimiters.hl7"] = new(Error: Hl7ErrorCode.InvalidEncodingCharacters),
        ["dex_oru_r01_v231_cr_only.hl7"] = new("ORU^R01", "2.3.1", [13],
            Checks: [C("MSH", 10, "LGZKXXR5_20200323151748"), C("PID", 3, "LGZKXXR5")]),
        ["dex_oru_r01_v23_zlr_zsegment.hl7"] = new("ORU^R01", "2.3", [11],
            Checks: [C("PID", 3, "1516791", repetition: 1), C("PID", 3, "Wisconsin State Laboratory of Hygiene", component: 6), C("PID", 3, "CLIA", component: 6, sub: 3)]),
        ["dex_oru_r01_v251_escapes_nonascii.hl7"] = new("ORU^R01", "2.5.1", [13], Warning: Hl7WarningCode.TruncationCharacterBeforeV27,
            Checks: [C("ORC", 21, "Advanced Family & Urgent Care"), C("MSH", 10, "202004021122574317")]),
        ["dex_oru_r01_v25_case_notification_cr.hl7"] = new("ORU^R01", "2.5", [39],
            Checks: [C("PID", 3, "MR99998"), C("PID", 7, "19620302"), C("PID", 3, "2.16.840.1.114222.1234", component: 4, sub: 2)]),
        ["ins_adt_a31_v22_nondefault_escape_char.hl7"] = new("ADT^A31", "2.2", [5],
            Checks: [C("MSH", 2, "^~\\`"), C("PID", 5, "TESTUSEONLY"), C("PID", 5, "JR", component: 4), C("PID", 11, "1600 PENNSYLVANIA AVE"), C("PID", 13, "TEST@EXAMPLE.COM", component: 4)]),
        ["ms_adt_a01_v28.hl7"] = new("ADT^A01", "2.8", [24],
            Checks: [C("PID", 5, "EVERYMAN"), C("PID", 5, "Aniston", sub: 5), C("PID", 3, "123456789", repetition: 1), C("PID", 3, "2.16.1", component: 4, sub: 2), C("EVN", 1, "A01")]),
        ["ms_adt_a04_v28.hl7"] = new("ADT^A04", "2.8", [24], Checks: [C("PID", 5, "ADAM", component: 2), C("MSH", 10, "MSG00001")]),
        ["ms_adt_a08_v28.hl7"] = new("ADT^A08", "2.8", [24], Checks: [C("PID", 7, "198808181126+0215"), C("PID", 8, "M")]),
        ["ms_mdm_t02_v28_ed_pdf_empty.hl7"] = new("MDM^T02", "2.8", [13],
            Checks: [C("TXA", 12, "1.2.840.317.5947431.51.20080131160038"), C("OBX", 5, "Base64", component: 4, occurrence: 1), C("OBX", 5, string.Empty, component: 5, occurrence: 1)]),
        ["ms_oru_r01_v24_minimal.hl7"] = new("ORU^R01", "2.4", [4],
            Checks: [C("PID", 5, "EVERYWOMAN"), C("OBR", 2, "845439"), C("OBX", 5, "182", component: 2), C("OBX", 7, "70_105")]),
        ["ms_oru_r01_v251.hl7"] = new("ORU^R01", "2.5.1", [29], Checks: [C("MSH", 10, "2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325")]),
        ["ms_oru_r01_v25_utf8_bom.hl7"] = new("ORU^R01", "2.5", [16],
            Checks: [C("MSH", 3, "SomeSystem"), C("PID", 5, "DUCK"), C("OBX", 5, "4.06", occurrence: 1), C("OBX", 6, "tera.l-1", occurrence: 1)]),
        ["npm_hl7standard_adt_a01_v24_crlf_znm.hl7"] = new("ADT^A01", "2.4", [22],
            Checks: [C("ZNM", 3, "(763)257-8511"), C("PV1", 3, "LDR"), C("PV1", 44, "200705100925"), C("PID", 5, "MotherToBe")]),
        ["npm_simplehl7_oru_r01_v23_cr.hl7"] = new("ORU^R01", "2.3", [9],
            Checks: [C("OBR", 3, "185L29839X64489JLPF"), C("OBR", 3, "X64489", repetition: 1), C("OBR", 3, "ACC_NUM", component: 2, repetition: 1)]),
        ["rs_adt_a01_escape_sequences.hl7"] = new("ADT^A01", "2.5", [2], Checks: [C("PID", 5, "Test|Value^Special~Chars\\Escape")]),
        ["rs_malformed_truncated_msh.hl7"] = new(Error: Hl7ErrorCode.TruncatedMessageHeader),
        ["ti_adt_a01_v23.hl7"] = new("ADT^A01", "2.3", [7], Checks: [C("PV1", 7, "WILLIAMS", component: 2), C("PID", 5, "BB SARAH", component: 2)]),
        ["ti_epic_orm_o01_v23.hl7"] = new("ORM^O01", "2.3", [9], Checks: [C("OBR", 4, "MICROALBUMIN / CREATININE RATIO URINE", component: 2)]),
        ["ti_epic_oru_r01_v23.hl7"] = new("ORU^R01", "2.3", [34],
            Checks: [C("NTE", 3, "c.1601G>A; p.Arg534Gln (legacy numbering Arg506Gln)", occurrence: 1), C("OBX", 3, "LN", component: 6)]),
        ["ti_malformed_empty_file.hl7"] = new(Error: Hl7ErrorCode.EmptyMessage),
        ["ti_malformed_missing_msh9.hl7"] = new(Error: Hl7ErrorCode.MissingMessageType),
        ["ti_natus_oru_r01_nbs_ed_base64_html.hl7"] = new("ORU^R01", "2.5.1", [144], Checks: [C("MSH", 10, "20240215200725_0005"), C("OBX", 5, "Base64", component: 4, occurrence: 78)]),
        ["ti_oru_r01_nbs_cr_only_repetitions.hl7"] = new("ORU^R01", "2.5.1", [140], Checks: [C("MSH", 10, "20230607002849_0365")]),
        ["ti_oru_r01_utf8_micro_sign.hl7"] = new("ORU^R01", "2.5.1", [6], Checks: [C("OBX", 6, "µmol/L"), C("PID", 5, "BOY  MOMSIX", component: 2)]),
        ["ti_oru_r01_v251_crlf_escapes_utf8.hl7"] = new("ORU^R01", "2.5.1", [173],
            Checks: [C("OBX", 5, "LA12421-6"), C("MSH", 5, "SISHIERECEIVER")]),
    };

    public static TheoryData<string> Files() => TestData.AllFileNames();

    [Theory]
    [MemberData(nameof(Files))]
    public void Parse_CorpusFile_MatchesExpectation(string file)
    {
        Assert.True(Expected.TryGetValue(file, out Expectation? expected), $"no expectation for {file}");
        byte[] bytes = TestData.Read(file);

        if (expected.Error is { } code)
        {
            Hl7Result<Hl7Message> failed = Hl7v2Parser.Parse(bytes);
            Assert.False(failed.IsSuccess);
            Assert.Equal(code, failed.Error.Code);
            Assert.Equal(failed.Error.Code, Hl7v2Parser.ParseBatch(bytes) is { IsSuccess: true } b ? b.Value.Messages[0].Error?.Code : Hl7v2Parser.ParseBatch(bytes).Error!.Code);
            return;
        }

        Hl7Message[] messages = TestData.IsBatch(bytes)
            ? [.. Hl7v2Parser.ParseBatch(bytes).Value!.Messages.Select(m => m.Value!)]
            : [Hl7v2Parser.Parse(bytes).Value ?? throw new Xunit.Sdk.XunitException($"{file}: {Hl7v2Parser.Parse(bytes).Error}")];
        Assert.Equal(expected.Segments, messages.Select(m => m.Segments.Count));
        foreach (Hl7Message message in messages)
        {
            Assert.Equal(expected.MessageType, message.MessageType);
            Assert.Equal(expected.Version, message.Version);
            Assert.Equal(expected.Warning, message.Warnings.Count == 0 ? null : message.Warnings[0].Code);
        }

        foreach (Check check in expected.Checks ?? [])
        {
            Hl7Segment? segment = messages[0].FindSegment(check.Segment, check.Occurrence);
            Assert.True(segment.HasValue, $"{file}: no {check.Segment}[{check.Occurrence}]");
            Assert.Equal(check.Expected, segment.Value.GetValue(check.Field, check.Repetition, check.Component, check.SubComponent));
        }
    }

    [Fact]
    public void Corpus_EveryExpectation_HasAFile()
    {
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), TestData.AllFiles());
    }

    [Fact]
    public void ParseBatch_BatchFile_YieldsFiveMessagesAndEnvelope()
    {
        Hl7Batch batch = Hl7v2Parser.ParseBatch(TestData.Read("dex_batch_fhs_bhs_5_messages.hl7")).Value!;

        Assert.Equal(5, batch.Messages.Count);
        Assert.All(batch.Messages, m => Assert.True(m.IsSuccess));
        Assert.Equal(["FHS", "BHS", "BTS", "FTS"], batch.Envelope.Select(s => s.Id));
        Assert.Equal("COVID-Test", batch.FileHeader!.Value.GetValue(3));
        Assert.Equal("5", batch.Envelope[2].GetValue(1));
        Assert.Equal(5, batch.Messages.Select(m => m.Value!.ControlId).Distinct().Count());
    }

    [Fact]
    public void Parse_BatchFileAsSingleMessage_FailsUnexpectedSegment()
    {
        Hl7Result<Hl7Message> result = Hl7v2Parser.Parse(TestData.Read("dex_batch_fhs_bhs_5_messages.hl7"));

        Assert.Equal(Hl7ErrorCode.UnexpectedSegment, result.Error!.Code);
    }

    [Fact]
    public void GetString_CrlfFileWithBrAndRepetitionEscapes_Unescapes()
    {
        Hl7Message message = Hl7v2Parser.Parse(TestData.Read("ti_oru_r01_v251_crlf_escapes_utf8.hl7")).Value!;

        string text = message.FindSegment("OBX", 5)!.Value.GetValue(5);

        Assert.StartsWith("ACTION REQUIRED\n\nNBS Testing Lab - COMMUNITY REG MEDICAL CENTER LAB ~M 57752YWKP", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\.br\\", text, StringComparison.Ordinal);
    }
}
