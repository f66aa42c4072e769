using System.Text;
using Carevault.Hl7v2.Messages;
using Carevault.Hl7v2.Types;

namespace Carevault.Hl7v2.Tests.Messages;

public class OruR01ReaderTests
{
    private static OruR01Message Read(string file)
    {
        byte[] bytes = TestData.Read(file);
        Hl7Message message = TestData.IsBatch(bytes)
            ? Hl7v2Parser.ParseBatch(bytes).Value!.Messages[0].Value!
            : Hl7v2Parser.Parse(bytes).Value!;
        Hl7Result<OruR01Message> result = OruR01Reader.Read(message);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    [Fact]
    public void Read_MinimalOru_MapsPatientOrderAndObservation()
    {
        OruR01Message oru = Read("ms_oru_r01_v24_minimal.hl7");

        Assert.Equal("ORU", oru.Header.MessageCode);
        Assert.Equal("R01", oru.Header.TriggerEvent);
        Assert.Equal("CNTRL-3456", oru.Header.ControlId);
        Assert.Equal("GHH LAB", oru.Header.SendingApplication!.NamespaceId);
        Assert.Equal("GHH OE", oru.Header.ReceivingApplication!.NamespaceId);
        Assert.Equal(Hl7DateTimePrecision.Second, oru.Header.DateTime!.Value.Precision);

        Hl7Patient patient = oru.Patient!;
        Assert.Equal("555-44-4444", Assert.Single(patient.Identifiers).Value);
        Hl7PersonName name = Assert.Single(patient.Names);
        Assert.Equal(("EVERYWOMAN", "EVE", "E", "L"), (name.Family, name.Given, name.Middle, name.TypeCode));
        Assert.Equal(new DateTime(1962, 3, 20), patient.BirthDate!.Value.Value);
        Assert.Equal(Hl7DateTimePrecision.Day, patient.BirthDate.Value.Precision);
        Assert.Equal("F", patient.Sex);

        Hl7Order order = Assert.Single(oru.Orders);
        Assert.Equal("1", order.SetId);
        Assert.Equal(("845439", "GHH OE"), (order.PlacerOrderNumber!.Value, order.PlacerOrderNumber.NamespaceId));
        Assert.Equal(("1045813", "GHH LAB"), (order.FillerOrderNumber!.Value, order.FillerOrderNumber.NamespaceId));
        Assert.Equal(("15545", "GLUCOSE"), (order.UniversalServiceId!.Code, order.UniversalServiceId.Text));
        Assert.Equal(new DateTimeOffset(2002, 2, 15, 7, 30, 0, TimeSpan.FromHours(6)), order.ObservationDateTime!.Value.ToDateTimeOffset());
        Assert.Equal("F", order.ResultStatus);

        Hl7Observation obx = Assert.Single(order.Observations);
        Assert.Equal("1", obx.SetId);
        Assert.Equal("SN", obx.ValueType);
        Assert.Equal(("1554-5", "GLUCOSE", "POST 12H CFST:MCNC:PT:SER/PLAS:QN"), (obx.Identifier!.Code, obx.Identifier.Text, obx.Identifier.CodingSystem));
        Hl7ObservationValue value = Assert.Single(obx.Values);
        Assert.Null(value.StructuredNumeric!.Comparator);
        Assert.Equal(182m, value.StructuredNumeric.Number1);
        Assert.Equal(182m, value.Number);
        Assert.Equal("mg/dl", obx.Units!.Code);
        Assert.Equal("70_105", obx.ReferenceRange);
        Assert.Equal(["H"], obx.AbnormalFlags);
        Assert.Equal("F", obx.ResultStatus);
        Assert.Null(obx.ObservationDateTime);
    }

    [Fact]
    public void Read_IdentifierWithAssigningAuthority_MapsHd()
    {
        OruR01Message oru = Read("dex_batch_fhs_bhs_5_messages.hl7");

        Hl7Identifier id = Assert.Single(oru.Patient!.Identifiers);
        Assert.Equal("1040970", id.Value);
        Assert.Equal("Chemware.AL.Stag", id.AssigningAuthority!.NamespaceId);
        Assert.Equal("2.16.840.1.114222.4.3.3.2.12.2", id.AssigningAuthority.UniversalId);
        Assert.Equal("ISO", id.AssigningAuthority.UniversalIdType);
        Assert.Equal("PI", id.TypeCode);
        Assert.Equal("COVID-Test", id.AssigningFacility!.NamespaceId);

        Hl7Observation obx = Assert.Single(Assert.Single(oru.Orders).Observations);
        Assert.Equal("CWE", obx.ValueType);
        Hl7CodedElement coded = Assert.Single(obx.Values).Coded!;
        Assert.Equal(("260373001", "Detected", "SCT"), (coded.Code, coded.Text, coded.CodingSystem));
        Assert.Equal(Hl7DateTimePrecision.Minute, obx.ObservationDateTime!.Value.Precision);
    }

    [Fact]
    public void Read_UcumUnitsAndEscapedIdentifierText_AreMapped()
    {
        OruR01Message oru = Read("ti_natus_oru_r01_nbs_ed_base64_html.hl7");

        Hl7Observation weight = oru.Orders.SelectMany(o => o.Observations).First(o => o.Identifier?.Code == "8339-4");
        Assert.Equal("Body weight^at birth", weight.Identifier!.Text);
        Assert.Equal("LN", weight.Identifier.CodingSystem);
        Assert.Equal(3900m, Assert.Single(weight.Values).Number);
        Assert.Equal(("g", "Grams", "UCUM"), (weight.Units!.Code, weight.Units.Text, weight.Units.CodingSystem));
        Assert.Equal("O", weight.ResultStatus);
    }

    [Fact]
    public void Read_EdBase64Html_DecodesContent()
    {
        OruR01Message oru = Read("ti_natus_oru_r01_nbs_ed_base64_html.hl7");

        Hl7Observation report = oru.Orders.SelectMany(o => o.Observations).Single(o => o.ValueType == "ED");
        Hl7EncapsulatedData ed = Assert.Single(report.Values).Encapsulated!;
        Assert.Equal("text/html", ed.MediaType);
        Assert.Equal("Base64", ed.Encoding);
        Assert.Null(ed.Problem);
        string html = Encoding.UTF8.GetString(ed.Content.Span);
        Assert.StartsWith("<html>", html, StringComparison.Ordinal);
        Assert.Contains("</html>", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Read_NotesAfterObx_AttachToThatObservation()
    {
        OruR01Message oru = Read("ti_epic_oru_r01_v23.hl7");

        Hl7Order order = Assert.Single(oru.Orders);
        Assert.Equal(3, order.Observations.Count);
        Assert.Empty(order.Observations[0].Notes);
        Assert.Equal(22, order.Observations[1].Notes.Count);
        Assert.Equal("c.1601G>A; p.Arg534Gln (legacy numbering Arg506Gln)", order.Observations[1].Notes[1].Text);
        Assert.Equal("TX", order.Observations[1].Notes[0].Source);
        Assert.Equal(6, order.Observations[2].Notes.Count);
        Assert.Equal("23MAYO-265S0173", order.FillerOrderNumber!.Value);
        Assert.Equal("Beaker", order.FillerOrderNumber.NamespaceId);
        Assert.Contains(oru.Warnings, w => w.Code == Hl7WarningCode.InvalidDateTime && w.Target == "PID-7");
    }

    [Fact]
    public void Read_SeveralOrders_KeepsEachOrdersObservations()
    {
        OruR01Message oru = Read("ms_oru_r01_v25_utf8_bom.hl7");

        Assert.Equal([5, 5], oru.Orders.Select(o => o.Observations.Count));
        Hl7Observation erythrocytes = oru.Orders.First().Observations[1];
        Assert.Equal(4.06m, erythrocytes.Values[0].Number);
        Assert.Equal("tera.l-1", erythrocytes.Units!.Code);
        Assert.Equal(["N"], erythrocytes.AbnormalFlags);
        Assert.Empty(oru.Orders.First().Observations[0].Values);
        Assert.Equal("10006579", oru.Patient!.Identifiers[0].Value);
        Assert.Equal("1", oru.Patient.Identifiers[0].AssigningAuthority!.NamespaceId);
    }

    [Fact]
    public void Read_Adt_FailsUnexpectedMessageType()
    {
        Hl7Message adt = Hl7v2Parser.Parse(TestData.Read("ti_adt_a01_v23.hl7")).Value!;

        Assert.Equal(Hl7ErrorCode.UnexpectedMessageType, OruR01Reader.Read(adt).Error!.Code);
    }

    [Fact]
    public void Read_EveryOruInCorpus_Succeeds()
    {
        foreach (string file in TestData.AllFiles())
        {
            Hl7Result<Hl7Batch> batch = Hl7v2Parser.ParseBatch(TestData.Read(file));
            foreach (Hl7Result<Hl7Message> message in batch.Value?.Messages ?? [])
            {
                if (message.Value is { MessageType: "ORU^R01" } oru)
                {
                    Assert.True(OruR01Reader.Read(oru).IsSuccess, file);
                }
            }
        }
    }
}
