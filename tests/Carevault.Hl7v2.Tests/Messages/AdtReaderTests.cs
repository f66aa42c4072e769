using Carevault.Hl7v2.Messages;
using Carevault.Hl7v2.Types;

namespace Carevault.Hl7v2.Tests.Messages;

public class AdtReaderTests
{
    private static AdtMessage Read(string file)
    {
        Hl7Result<AdtMessage> result = AdtReader.Read(Hl7v2Parser.Parse(TestData.Read(file)).Value!);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    [Theory]
    [InlineData("ms_adt_a01_v28.hl7", "A01")]
    [InlineData("ms_adt_a04_v28.hl7", "A04")]
    [InlineData("ms_adt_a08_v28.hl7", "A08")]
    public void Read_MicrosoftSamples_MapPatientAndVisit(string file, string trigger)
    {
        AdtMessage adt = Read(file);

        Assert.Equal(trigger, adt.Header.TriggerEvent);
        Assert.Equal("A01", adt.EventType);
        Assert.Equal(new DateTimeOffset(2029, 8, 1, 7, 6, 24, new TimeSpan(1, 15, 0)), adt.RecordedDateTime!.Value.ToDateTimeOffset());

        Hl7Patient patient = adt.Patient;
        Assert.Equal(["1234567", "PATID1234", "123456789"], patient.Identifiers.Select(i => i.Value));
        Assert.Equal("test1", patient.Identifiers[1].AssigningAuthority!.NamespaceId);
        Assert.Equal("2.16.1", patient.Identifiers[1].AssigningAuthority!.UniversalId);
        Assert.Equal("MR", patient.Identifiers[1].TypeCode);
        Assert.Equal("SS", patient.Identifiers[2].TypeCode);
        Assert.Equal(2, patient.Names.Count);
        Assert.Equal(("EVERYMAN", "ADAM", "A", "III", "Dr."), (patient.Names[0].Family, patient.Names[0].Given, patient.Names[0].Middle, patient.Names[0].Suffix, patient.Names[0].Prefix));
        Assert.Equal("Josh", patient.Names[1].Family);
        Assert.Equal(Hl7DateTimePrecision.Minute, patient.BirthDate!.Value.Precision);
        Assert.Equal("M", patient.Sex);

        Hl7Visit visit = adt.Visit;
        Assert.Equal("P", visit.PatientClass);
        Assert.Equal(("HUH AE OMU", "OMU B", "Bed 03"), (visit.AssignedLocation!.PointOfCare, visit.AssignedLocation.Room, visit.AssignedLocation.Bed));
        Assert.Equal("HOMERTON UNIVER", visit.AssignedLocation.Facility!.NamespaceId);
        Hl7Practitioner attending = Assert.Single(visit.AttendingDoctors);
        Assert.Equal(("1122334", "Alaz", "Mohammed"), (attending.Id, attending.Name!.Family, attending.Name.Given));
        Assert.Equal("PERSONNELt", attending.AssigningAuthority!.NamespaceId);
        Assert.Equal(("40007716", "AccMng", "AM"), (visit.VisitNumber!.Value, visit.VisitNumber.AssigningAuthority!.NamespaceId, visit.VisitNumber.TypeCode));
        Assert.Equal(new DateTimeOffset(2015, 2, 8, 11, 34, 19, new TimeSpan(1, 10, 0)), visit.AdmitDateTime!.Value.ToDateTimeOffset());
        Assert.Equal(trigger == "A08", visit.DischargeDateTime is not null);
    }

    [Fact]
    public void Read_V24CrlfSample_MapsVisit()
    {
        AdtMessage adt = Read("npm_hl7standard_adt_a01_v24_crlf_znm.hl7");

        Assert.Equal("OP", adt.Visit.PatientClass);
        Assert.Equal(("LDR", "LA1", "01"), (adt.Visit.AssignedLocation!.PointOfCare, adt.Visit.AssignedLocation.Room, adt.Visit.AssignedLocation.Bed));
        Assert.Equal(("9873", "HIBBARD", "JILLIAN", "M."), (adt.Visit.AttendingDoctors[0].Id, adt.Visit.AttendingDoctors[0].Name!.Family, adt.Visit.AttendingDoctors[0].Name!.Given, adt.Visit.AttendingDoctors[0].Name!.Middle));
        Assert.Equal("6090648", adt.Visit.VisitNumber!.Value);
        Assert.Equal(Hl7DateTimePrecision.Minute, adt.Visit.AdmitDateTime!.Value.Precision);
        Assert.Equal("12345-67", adt.Patient.Identifiers[0].Value);
        Assert.Equal("4019060", adt.Patient.Identifiers[1].Value);
        Assert.Equal("EPI", adt.Patient.Identifiers[1].TypeCode);
        Assert.Equal(new DateTime(1965, 6, 1), adt.Patient.BirthDate!.Value.Value);
    }

    [Fact]
    public void Read_AdtA31_FailsUnexpectedMessageType()
    {
        Hl7Message a31 = Hl7v2Parser.Parse(TestData.Read("ins_adt_a31_v22_nondefault_escape_char.hl7")).Value!;

        Assert.Equal(Hl7ErrorCode.UnexpectedMessageType, AdtReader.Read(a31).Error!.Code);
    }

    [Fact]
    public void Read_WithoutPv1_FailsMissingSegment()
    {
        Hl7Message message = Hl7v2Parser.Parse("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1||123\r"u8.ToArray()).Value!;

        Hl7Error error = AdtReader.Read(message).Error!;

        Assert.Equal(Hl7ErrorCode.MissingSegment, error.Code);
        Assert.Equal("PV1", error.Target);
    }
}
