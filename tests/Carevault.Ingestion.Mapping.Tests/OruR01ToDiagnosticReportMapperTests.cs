using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Tests;

public class OruR01ToDiagnosticReportMapperTests
{
    private static JsonObject MapSample(string file, bool withUpload = true) =>
        TestData.Bundle(TestData.Map(ReportFormat.Hl7v2, "hl7v2", file, withUpload));

    private static JsonObject MapText(string message, bool withUpload = false) =>
        TestData.Bundle(ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, System.Text.Encoding.UTF8.GetBytes(message.Replace("\n", "\r", StringComparison.Ordinal)), withUpload)));

    [Fact]
    public void Map_MsOruR01V251_PatientFromPid3WithAssigningAuthority()
    {
        JsonObject bundle = MapSample("ms_oru_r01_v251.hl7", withUpload: false);

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal("identifier=urn:oid:2.16.840.1.114222.4.3.3.5.1.2|14", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
        JsonNode identifier = patient["identifier"]![0]!;
        Assert.Equal("urn:oid:2.16.840.1.114222.4.3.3.5.1.2", (string?)identifier["system"]);
        Assert.Equal("14", (string?)identifier["value"]);
        Assert.Equal("PI", (string?)identifier["type"]!["coding"]![0]!["code"]);
        Assert.Equal("Finn", (string?)patient["name"]![0]!["family"]);
        Assert.Equal("Huckleberry", (string?)patient["name"]![0]!["given"]![0]);
        Assert.Equal("official", (string?)patient["name"]![0]!["use"]);
        Assert.Equal("male", (string?)patient["gender"]);
        Assert.Equal("1963-08-15", (string?)patient["birthDate"]);
        JsonNode address = patient["address"]![0]!;
        Assert.Equal("721 SPRING STREET", (string?)address["line"]![0]);
        Assert.Equal("GRINNELL", (string?)address["city"]);
        Assert.Equal("IA", (string?)address["state"]);
        Assert.Equal("50112", (string?)address["postalCode"]);
        Assert.Equal("home", (string?)address["use"]);
    }

    [Fact]
    public void Map_MsOruR01V251_DiagnosticReportFromObr()
    {
        JsonObject bundle = MapSample("ms_oru_r01_v251.hl7");

        JsonObject report = Assert.Single(TestData.Resources(bundle, "DiagnosticReport"));
        Assert.Equal("final", (string?)report["status"]);
        Assert.Equal("625-4", (string?)report["code"]!["coding"]![0]!["code"]);
        Assert.Equal("Bacteria identified in Stool by Culture", (string?)report["code"]!["coding"]![0]!["display"]);
        Assert.Null(report["code"]!["coding"]![0]!["system"]); // "XYZ" is a local coding system
        Assert.Equal("Enteric Culture", (string?)report["code"]!["text"]);
        Assert.Equal("2002-02-15T07:30:00+02:15", (string?)report["effectiveDateTime"]);
        Assert.Equal("2002-03-15T07:30:00+02:15", (string?)report["issued"]);
        Assert.Equal("845439", (string?)report["identifier"]![0]!["value"]);
        Assert.Equal("PLAC", (string?)report["identifier"]![0]!["type"]!["coding"]![0]!["code"]);
        Assert.Equal("986", (string?)report["identifier"]![1]!["value"]);
        Assert.Equal("urn:oid:2.16.840.1.114222.4.3.3.5.1.2", (string?)report["identifier"]![1]!["system"]);
        Assert.StartsWith("Enteric culture includes testing for Salmonella", (string?)report["conclusion"]);
        Assert.Contains("O157:H7 & other STECs", (string?)report["conclusion"]); // \T\ unescaped by the parser

        // The three OBX after the OBR are its results, in order; the two before it stand alone.
        List<JsonObject> observations = [.. TestData.Resources(bundle, "Observation")];
        Assert.Equal(5, observations.Count);
        string[] results = [.. report["result"]!.AsArray().Select(r => (string)r!["reference"]!)];
        Assert.Equal([.. observations.Skip(2).Select(o => (string)TestData.Entry(bundle, o)["fullUrl"]!)], results);
        Assert.All(observations, o => Assert.Equal((string?)TestData.Entry(bundle, TestData.Resources(bundle, "Patient").Single())["fullUrl"], (string?)o["subject"]!["reference"]));
    }

    [Fact]
    public void Map_MsOruR01V251_ObservationsWithCodesValuesUnitsRangesFlags()
    {
        List<JsonObject> observations = [.. TestData.Resources(MapSample("ms_oru_r01_v251.hl7"), "Observation")];

        // OBX|1|CWE|625-4^…^XYZ…|1|27268008^Salmonella^SCT^^^^^^Salmonella species|beats/min^^ISO|70-80|A^A^HL70078|||P|||20120301
        JsonObject cwe = observations[2];
        Assert.Equal("preliminary", (string?)cwe["status"]);
        Assert.Equal("625-4", (string?)cwe["code"]!["coding"]![0]!["code"]);
        Assert.Equal("http://snomed.info/sct", (string?)cwe["valueCodeableConcept"]!["coding"]![0]!["system"]);
        Assert.Equal("27268008", (string?)cwe["valueCodeableConcept"]!["coding"]![0]!["code"]);
        Assert.Equal("Salmonella", (string?)cwe["valueCodeableConcept"]!["coding"]![0]!["display"]);
        Assert.Equal("Salmonella species", (string?)cwe["valueCodeableConcept"]!["text"]);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", (string?)cwe["interpretation"]![0]!["coding"]![0]!["system"]);
        Assert.Equal("A", (string?)cwe["interpretation"]![0]!["coding"]![0]!["code"]);
        JsonNode range = cwe["referenceRange"]![0]!;
        Assert.Equal(70m, (decimal)range["low"]!["value"]!);
        Assert.Equal(80m, (decimal)range["high"]!["value"]!);
        Assert.Equal("beats/min", (string?)range["low"]!["unit"]);
        Assert.Equal("http://unitsofmeasure.org", (string?)range["high"]!["system"]);
        Assert.Equal("/min", (string?)range["high"]!["code"]);
        Assert.Equal("2012-03-01", (string?)cwe["effectiveDateTime"]);
        Assert.Equal("Submission of serum\nNo Antibodies Detected", (string?)cwe["note"]![0]!["text"]);

        // OBX|2|NM|8867-4^Bacteria identified^LN^^^^2.33^^result1|1|27~25||||||I  (first repetition is the value)
        JsonObject nm = observations[4];
        Assert.Equal("registered", (string?)nm["status"]);
        Assert.Equal("http://loinc.org", (string?)nm["code"]!["coding"]![0]!["system"]);
        Assert.Equal("8867-4", (string?)nm["code"]!["coding"]![0]!["code"]);
        Assert.Equal("2.33", (string?)nm["code"]!["coding"]![0]!["version"]);
        Assert.Equal(27m, (decimal)nm["valueQuantity"]!["value"]!);
        Assert.Null(nm["valueQuantity"]!["unit"]);
        Assert.Equal("2002-02-15T07:30:00+02:15", (string?)nm["effectiveDateTime"]); // no OBX-14: OBR-7

        // OBX||RP|8867-4^heartrate^LN … F … 19990702: a reference pointer has no FHIR value.
        JsonObject rp = observations[0];
        Assert.Equal("final", (string?)rp["status"]);
        Assert.Equal("http://loinc.org", (string?)rp["code"]!["coding"]![0]!["system"]);
        Assert.Equal("1999-07-02", (string?)rp["effectiveDateTime"]);
        Assert.DoesNotContain(rp, p => p.Key.StartsWith("value", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_EveryValueType_MapsToItsFhirValue()
    {
        JsonObject bundle = MapText("""
            MSH|^~\&|LAB|HOSP|CV|CV|20240305081500+0100||ORU^R01^ORU_R01|MSG1|P|2.5.1
            PID|1||P-77^^^HOSP&1.2.3.4&ISO^MR||Doe^Jane^Q||19800102|F
            OBR|1|PL-1^LAB|FL-1^LAB|24323-8^Comprehensive metabolic panel^LN|||202403050700|||||||||||||||202403050900+0100|||C
            OBX|1|NM|2345-7^Glucose^LN||5.40|mmol/L^^UCUM|3.9-5.5|N|||F|||202403050705
            OBX|2|NM|2160-0^Creatinine^LN||1.30|mg/dl|<1.2|H|||C
            OBX|3|SN|5905-5^Monocytes^LN||>^10|%|>2|HH|||F
            OBX|4|SN|11572-5^Titer^LN||^1^:^128||||||P
            OBX|5|SN|1234-0^Range^LN||^2^-^4|K/uL|||||F
            OBX|6|ST|8251-1^Comment^LN||Slightly hemolyzed||||||D
            OBX|7|TX|8251-1^Comment^LN||line one~line two||||||X
            OBX|8|CE|882-1^ABO+Rh group^LN||A+^A positive^L||||||W
            OBX|9|DT|21112-8^Birth date^LN||20240301||||||F
            OBX|10|TS|68963-8^Collected^LN||202403041230||||||F
            OBX|11|NM|2951-2^Sodium^LN||abc|mmol/L|bad range|ZZ|||U
            NTE|1|L|Repeat advised
            """);

        JsonObject report = Assert.Single(TestData.Resources(bundle, "DiagnosticReport"));
        Assert.Equal("corrected", (string?)report["status"]);
        Assert.Equal("2024-03-05T07:00:00+01:00", (string?)report["effectiveDateTime"]); // MSH-7's offset applies
        Assert.Equal("2024-03-05T09:00:00+01:00", (string?)report["issued"]);
        List<JsonObject> obs = [.. TestData.Resources(bundle, "Observation")];
        Assert.Equal(11, obs.Count);

        Assert.Equal("final", (string?)obs[0]["status"]);
        Assert.Equal(5.40m, (decimal)obs[0]["valueQuantity"]!["value"]!);
        Assert.Equal("5.40", obs[0]["valueQuantity"]!["value"]!.ToJsonString()); // precision kept
        Assert.Equal("mmol/L", (string?)obs[0]["valueQuantity"]!["code"]);
        Assert.Equal("http://unitsofmeasure.org", (string?)obs[0]["valueQuantity"]!["system"]);
        Assert.Equal(3.9m, (decimal)obs[0]["referenceRange"]![0]!["low"]!["value"]!);
        Assert.Equal(5.5m, (decimal)obs[0]["referenceRange"]![0]!["high"]!["value"]!);
        Assert.Equal("N", (string?)obs[0]["interpretation"]![0]!["coding"]![0]!["code"]);
        Assert.Equal("2024-03-05T07:05:00+01:00", (string?)obs[0]["effectiveDateTime"]);

        Assert.Equal("corrected", (string?)obs[1]["status"]);
        Assert.Equal("mg/dl", (string?)obs[1]["valueQuantity"]!["unit"]);
        Assert.Equal("mg/dL", (string?)obs[1]["valueQuantity"]!["code"]);
        Assert.Null(obs[1]["referenceRange"]![0]!["low"]);
        Assert.Equal(1.2m, (decimal)obs[1]["referenceRange"]![0]!["high"]!["value"]!);
        Assert.Equal("H", (string?)obs[1]["interpretation"]![0]!["coding"]![0]!["code"]);

        Assert.Equal(">", (string?)obs[2]["valueQuantity"]!["comparator"]);
        Assert.Equal(10m, (decimal)obs[2]["valueQuantity"]!["value"]!);
        Assert.Equal("%", (string?)obs[2]["valueQuantity"]!["code"]);
        Assert.Equal(2m, (decimal)obs[2]["referenceRange"]![0]!["low"]!["value"]!);
        Assert.Null(obs[2]["referenceRange"]![0]!["high"]);
        Assert.Equal("HH", (string?)obs[2]["interpretation"]![0]!["coding"]![0]!["code"]);

        Assert.Equal("preliminary", (string?)obs[3]["status"]);
        Assert.Equal(1m, (decimal)obs[3]["valueRatio"]!["numerator"]!["value"]!);
        Assert.Equal(128m, (decimal)obs[3]["valueRatio"]!["denominator"]!["value"]!);

        Assert.Equal(2m, (decimal)obs[4]["valueRange"]!["low"]!["value"]!);
        Assert.Equal(4m, (decimal)obs[4]["valueRange"]!["high"]!["value"]!);
        Assert.Equal("10*3/uL", (string?)obs[4]["valueRange"]!["high"]!["code"]);

        Assert.Equal("entered-in-error", (string?)obs[5]["status"]);
        Assert.Equal("Slightly hemolyzed", (string?)obs[5]["valueString"]);

        Assert.Equal("cancelled", (string?)obs[6]["status"]);
        Assert.Equal("line one\nline two", (string?)obs[6]["valueString"]);

        Assert.Equal("entered-in-error", (string?)obs[7]["status"]);
        Assert.Equal("A+", (string?)obs[7]["valueCodeableConcept"]!["coding"]![0]!["code"]);
        Assert.Null(obs[7]["valueCodeableConcept"]!["coding"]![0]!["system"]);
        Assert.Equal("A positive", (string?)obs[7]["valueCodeableConcept"]!["text"]);

        Assert.Equal("2024-03-01", (string?)obs[8]["valueDateTime"]);
        Assert.Equal("2024-03-04T12:30:00+01:00", (string?)obs[9]["valueDateTime"]);

        // Unparseable number → string; unparseable range → text; unknown flag → text.
        Assert.Equal("final", (string?)obs[10]["status"]);
        Assert.Equal("abc", (string?)obs[10]["valueString"]);
        Assert.Equal("bad range", (string?)obs[10]["referenceRange"]![0]!["text"]);
        Assert.Equal("ZZ", (string?)obs[10]["interpretation"]![0]!["text"]);
        Assert.Equal("Repeat advised", (string?)obs[10]["note"]![0]!["text"]);
    }

    [Fact]
    public void Map_TimeWithoutAnyOffset_KeepsOnlyTheDate()
    {
        JsonObject bundle = MapText("""
            MSH|^~\&|LAB|HOSP|CV|CV|20240305081500||ORU^R01|MSG1|P|2.5.1
            PID|1||P-77^^^HOSP&1.2.3.4&ISO^MR
            OBR|1||FL-1|24323-8^Panel^LN|||202403050700|||||||||||||||||F
            OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F
            """);

        Assert.Equal("2024-03-05", (string?)TestData.Resources(bundle, "DiagnosticReport").Single()["effectiveDateTime"]);
        Assert.Null(TestData.Resources(bundle, "DiagnosticReport").Single()["issued"]);
    }

    [Fact]
    public void Map_Batch_OneBundleForAllMessages()
    {
        JsonObject bundle = MapSample("dex_batch_fhs_bhs_5_messages.hl7", withUpload: false);

        Assert.Equal(5, TestData.Resources(bundle, "Patient").Count());
        Assert.Equal(5, TestData.Resources(bundle, "DiagnosticReport").Count());
        Assert.Equal(8, TestData.Resources(bundle, "Observation").Count());
        Assert.Equal(
            ["1040970", "566610", "138591", "566606", "234567"],
            TestData.Resources(bundle, "Patient").Select(p => (string)p["identifier"]![0]!["value"]!));
        Assert.Equal("urn:oid:2.16.840.1.114222.4.3.3.2.12.2", (string?)TestData.Resources(bundle, "Patient").First()["identifier"]![0]!["system"]);
        Assert.All(TestData.Resources(bundle, "DiagnosticReport"), r => Assert.Equal("http://loinc.org", (string?)r["code"]!["coding"]![0]!["system"]));
    }

    [Fact]
    public void Map_SamePatientTwiceInOneBatch_CreatesOnePatientEntry()
    {
        const string Message = "MSH|^~\\&|LAB|HOSP|CV|CV|20240305081500+0100||ORU^R01|{0}|P|2.5.1\rPID|1||P-1^^^HOSP&1.2.3.4&ISO^MR\rOBR|1||{0}|1-8^X^LN\rOBX|1|ST|1-8^X^LN||ok||||||F\r";
        byte[] content = System.Text.Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Message, "A") + string.Format(System.Globalization.CultureInfo.InvariantCulture, Message, "B"));

        JsonObject bundle = TestData.Bundle(ReportMapper.Map(TestData.Input(ReportFormat.Hl7v2, content, withUploadIdentifier: false)));

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        string patientUrl = (string)TestData.Entry(bundle, patient)["fullUrl"]!;
        Assert.Equal(2, TestData.Resources(bundle, "DiagnosticReport").Count());
        Assert.All(TestData.Resources(bundle, "DiagnosticReport"), r => Assert.Equal(patientUrl, (string?)r["subject"]!["reference"]));
    }

    [Fact]
    public void Map_WhenPid3HasNoAuthority_UsesUploadIdentifier()
    {
        JsonObject bundle = MapText("""
            MSH|^~\&|LAB|HOSP|CV|CV|20240305081500+0100||ORU^R01|MSG1|P|2.5.1
            PID|1||LOCAL-9||Roe^Rick
            OBR|1||FL-1|1-8^X^LN
            OBX|1|ST|1-8^X^LN||ok||||||F
            """, withUpload: true);

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal($"identifier={TestData.UploadSystem}|{TestData.UploadValue}", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
        Assert.Equal(TestData.UploadValue, (string?)patient["identifier"]![0]!["value"]);
        Assert.Equal("LOCAL-9", (string?)patient["identifier"]![1]!["value"]);
        Assert.Null(patient["identifier"]![1]!["system"]);
    }

    [Fact]
    public void Map_IdentifierWithQueryCharacters_IsEscapedInIfNoneExist()
    {
        JsonObject bundle = MapText("""
            MSH|^~\&|LAB|HOSP|CV|CV|20240305081500+0100||ORU^R01|MSG1|P|2.5.1
            PID|1||A,1 2$3^^^St. Mary's Lab^MR
            OBR|1||FL-1|1-8^X^LN
            """);

        JsonObject patient = Assert.Single(TestData.Resources(bundle, "Patient"));
        Assert.Equal("urn:carevault:authority:St.%20Mary%27s%20Lab", (string?)patient["identifier"]![0]!["system"]);
        Assert.Equal("identifier=urn:carevault:authority:St.%2520Mary%2527s%2520Lab|A%5C%2C1%202%5C%243", (string?)TestData.Entry(bundle, patient)["request"]!["ifNoneExist"]);
    }
}
