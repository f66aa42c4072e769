using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Tests;

public class AdtToPatientEncounterMapperTests
{
    [Fact]
    public void Map_MsAdtA01V28_PatientDemographicsAndEncounter()
    {
        JsonObject bundle = TestData.Bundle(TestData.Map(ReportFormat.Hl7v2, "hl7v2", "ms_adt_a01_v28.hl7", withUploadIdentifier: false));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        // PID-3 first repetition PATID1234^5^M11^test1&2.16.1&HCD^MR: the MR with an authority is matched on, not PID-2.
        // ADT updates the matched Patient (conditional update), so A01/A04/A08 never duplicate it.
        Assert.Equal("PUT", (string?)TestData.Entry(bundle, patient)["request"]!["method"]);
        Assert.Equal("Patient?identifier=urn:oid:2.16.1|PATID1234", (string?)TestData.Entry(bundle, patient)["request"]!["url"]);
        string[] identifiers = [.. patient["identifier"]!.AsArray().Select(i => $"{(string?)i!["system"]}|{(string?)i["value"]}")];
        Assert.Equal(["urn:carevault:authority:test|1234567", "urn:oid:2.16.1|PATID1234", "urn:carevault:authority:USSSA|123456789"], identifiers);
        Assert.Equal("SS", (string?)patient["identifier"]![2]!["type"]!["coding"]![0]!["code"]);

        JsonNode name = patient["name"]![0]!;
        Assert.Equal("EVERYMAN", (string?)name["family"]);
        Assert.Equal(["ADAM", "A"], name["given"]!.AsArray().Select(g => (string)g!));
        Assert.Equal("Dr.", (string?)name["prefix"]![0]);
        Assert.Equal("III", (string?)name["suffix"]![0]);
        Assert.Equal("usual", (string?)name["use"]);
        Assert.Equal("Josh", (string?)patient["name"]![1]!["family"]);
        Assert.Equal("official", (string?)patient["name"]![1]!["use"]);
        Assert.Equal("male", (string?)patient["gender"]);
        Assert.Equal("1988-08-18", (string?)patient["birthDate"]);

        JsonNode address = patient["address"]![0]!;
        Assert.Equal(["1000 Hospital Lane", "Ste. 123"], address["line"]!.AsArray().Select(l => (string)l!));
        Assert.Equal("Ann Arbor", (string?)address["city"]);
        Assert.Equal("MI", (string?)address["state"]);
        Assert.Equal("99999", (string?)address["postalCode"]);
        Assert.Equal("USA", (string?)address["country"]);
        Assert.Equal("postal", (string?)address["type"]);

        // PID-13 78788788^^CP~12121212^^CP (home, cellular), PID-14 7777^^CP~1111^^TDD (business).
        string[] telecom = [.. patient["telecom"]!.AsArray().Select(t => $"{(string?)t!["system"]}:{(string?)t["value"]}:{(string?)t["use"]}")];
        Assert.Equal(["phone:78788788:mobile", "phone:12121212:mobile", "phone:7777:mobile", "phone:1111:work"], telecom);

        JsonObject encounter = Assert.Single(TestData.Resources(bundle, "Encounter"));
        Assert.Equal("in-progress", (string?)encounter["status"]);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/v3-ActCode", (string?)encounter["class"]!["system"]);
        Assert.Equal("PRENC", (string?)encounter["class"]!["code"]);
        Assert.Equal("2015-02-08T11:34:19+01:10", (string?)encounter["period"]!["start"]);
        Assert.Null(encounter["period"]!["end"]);
        Assert.Equal("40007716", (string?)encounter["identifier"]![0]!["value"]);
        Assert.Equal("urn:oid:1.2", (string?)encounter["identifier"]![0]!["system"]);
        Assert.Equal("HUH AE OMU, OMU B, Bed 03, HOMERTON UNIVER", (string?)encounter["location"]![0]!["location"]!["display"]);
        Assert.Equal("Dr. Mohammed Mahi Alaz JR", (string?)encounter["participant"]![0]!["individual"]!["display"]);
        Assert.Equal((string?)TestData.Entry(bundle, patient)["fullUrl"], (string?)encounter["subject"]!["reference"]);
    }

    [Theory]
    [InlineData("ms_adt_a04_v28.hl7")]
    [InlineData("ms_adt_a08_v28.hl7")]
    [InlineData("ti_adt_a01_v23.hl7")]
    [InlineData("npm_hl7standard_adt_a01_v24_crlf_znm.hl7")]
    public void Map_OtherAdtSamples_GivePatientAndEncounter(string file)
    {
        JsonObject bundle = TestData.Bundle(TestData.Map(ReportFormat.Hl7v2, "hl7v2", file));

        Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Single(TestData.Resources(bundle, "Encounter"));
    }

    [Fact]
    public void Map_TiAdtA01V23_InpatientClassAndNamespaceAuthority()
    {
        JsonObject bundle = TestData.Bundle(TestData.Map(ReportFormat.Hl7v2, "hl7v2", "ti_adt_a01_v23.hl7", withUploadIdentifier: false));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal("Patient?identifier=urn:carevault:authority:SCH|11102779", (string?)TestData.Entry(bundle, patient)["request"]!["url"]);
        Assert.Equal("SMITH", (string?)patient["name"]![0]!["family"]);
        Assert.Equal("2023-05-04", (string?)patient["birthDate"]);
        Assert.Equal("DEER CREEK", (string?)patient["address"]![0]!["city"]);
        Assert.Equal("56527-9657", (string?)patient["address"]![0]!["postalCode"]);
        JsonObject encounter = Assert.Single(TestData.Resources(bundle, "Encounter"));
        Assert.Equal("IMP", (string?)encounter["class"]!["code"]);
        Assert.Equal("unknown", (string?)encounter["status"]);
        Assert.Equal("WALTER WILLIAMS", ((string?)encounter["participant"]![0]!["individual"]!["display"])?.Replace("W ", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_AdtA04WithDischarge_IsFinishedEmergencyWithTelecomUses()
    {
        byte[] content = """
            MSH|^~\&|ADT|HOSP|CV|CV|20240101100000-0500||ADT^A04|X1|P|2.5.1
            PID|1||M-1^^^HOSP&2.999.1&ISO^MR||Doe^Ann||19700203|F|||1 Main St^^Springfield^IL^62701^USA^H||^PRN^PH^^1^217^5551234^12~^NET^Internet^ann@example.org|^WPN^FX^^^217^5550000
            PV1|1|E|ER^1^A||||||||||||||||V-9^^^HOSP&2.999.1&ISO^VN|||||||||||||||||||||||||202401010900|202401011130
            """u8.ToArray().Select(b => b == (byte)'\n' ? (byte)'\r' : b).ToArray();

        JsonObject bundle = TestData.Bundle(ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, content, withUploadIdentifier: false)));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        string[] telecom = [.. patient["telecom"]!.AsArray().Select(t => $"{(string?)t!["system"]}:{(string?)t["value"]}:{(string?)t["use"]}")];
        Assert.Equal(["phone:+1 (217) 5551234 ext. 12:home", "email:ann@example.org:home", "fax:(217) 5550000:work"], telecom);
        Assert.Equal("home", (string?)patient["address"]![0]!["use"]);
        JsonObject encounter = Assert.Single(TestData.Resources(bundle, "Encounter"));
        Assert.Equal("finished", (string?)encounter["status"]);
        Assert.Equal("EMER", (string?)encounter["class"]!["code"]);
        Assert.Equal("2024-01-01T09:00:00-05:00", (string?)encounter["period"]!["start"]);
        Assert.Equal("2024-01-01T11:30:00-05:00", (string?)encounter["period"]!["end"]);
        Assert.Equal("urn:oid:2.999.1", (string?)encounter["identifier"]![0]!["system"]);
        Assert.Equal("V-9", (string?)encounter["identifier"]![0]!["value"]);
    }
}
