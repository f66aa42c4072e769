using System.Text;
using System.Text.Json.Nodes;
using Carevault.Hl7v2;
using Carevault.Hl7v2.Messages;
using Carevault.Hl7v2.Types;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>ADT^A01/A04/A08 → Patient (identifiers, names, birth date, gender, address, telecom) and Encounter (PV1).</summary>
internal static class AdtToPatientEncounterMapper
{
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    public static MappingError? Map(Hl7Message message, string prefix, MappingInput input, TransactionBundleBuilder bundle)
    {
        Hl7Result<AdtMessage> read = AdtReader.Read(message);
        if (!read.IsSuccess)
        {
            return Hl7v2ReportMapper.ToMappingError(read.Error!);
        }

        AdtMessage adt = read.Value!;
        Hl7Segment? pid = message.FindSegment("PID");
        if (Hl7PatientMapper.MatchIdentifier(pid, input) is not { } match)
        {
            return Hl7v2ReportMapper.MissingPatientIdentifier;
        }

        var dates = new Hl7Dates(adt.Header.DateTime?.Offset);
        // ADT carries the sender's current demographics and visit: A01/A04/A08 update the matched Patient (a new version,
        // history kept) and the Encounter with the same visit number, rather than adding duplicates.
        string patientUrl = bundle.AddOrUpdatePatient(prefix + "/patient", Hl7PatientMapper.ToPatient(adt.Patient, match, pid), match);
        JsonObject encounter = Encounter(adt, patientUrl, dates);
        string encounterUrl = bundle.FullUrl(prefix + "/encounter");
        if (encounter["identifier"]?[0] is JsonObject visitId && visitId["system"] is JsonValue system && visitId["value"] is JsonValue value)
        {
            bundle.AddConditionalUpdate(encounterUrl, encounter, "identifier=" + FhirSearch.Token(system.GetValue<string>(), value.GetValue<string>()));
        }
        else
        {
            bundle.Add(encounterUrl, encounter);
        }

        return null;
    }

    private static JsonObject Encounter(AdtMessage adt, string patientUrl, Hl7Dates dates)
    {
        Hl7Visit visit = adt.Visit;
        var encounter = new JsonObject { ["resourceType"] = "Encounter" };
        if (visit.VisitNumber is { } number && FhirValues.Text(number.Value) is { } value)
        {
            var identifier = new JsonObject();
            if (Hl7PatientMapper.System(number) is { } system)
            {
                identifier["system"] = system;
            }

            identifier["value"] = value;
            encounter["identifier"] = new JsonArray(identifier);
        }

        encounter["status"] = visit.DischargeDateTime is not null ? "finished"
            : visit.AdmitDateTime is not null ? "in-progress"
            : adt.Header.TriggerEvent == "A04" ? "arrived"
            : "unknown";
        encounter["class"] = Class(visit.PatientClass);
        encounter["subject"] = FhirValues.Reference(patientUrl);
        var participants = new JsonArray();
        foreach (Hl7Practitioner doctor in visit.AttendingDoctors)
        {
            if (Display(doctor) is { } display)
            {
                participants.Add(new JsonObject
                {
                    ["type"] = new JsonArray(FhirValues.CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND", "attender")),
                    ["individual"] = FhirValues.DisplayReference(display),
                });
            }
        }

        if (participants.Count > 0)
        {
            encounter["participant"] = participants;
        }

        var period = new JsonObject();
        if (dates.DateTime(visit.AdmitDateTime) is { } start)
        {
            period["start"] = start;
        }

        if (dates.DateTime(visit.DischargeDateTime) is { } end)
        {
            period["end"] = end;
        }

        if (period.Count > 0)
        {
            encounter["period"] = period;
        }

        if (Location(visit.AssignedLocation) is { } location)
        {
            encounter["location"] = new JsonArray(new JsonObject { ["location"] = FhirValues.DisplayReference(location) });
        }

        return encounter;
    }

    /// <summary>PV1-2 (HL7 table 0004) → v3 ActCode encounter class; unknown as v3 NullFlavor UNK (class is 1..1).</summary>
    private static JsonObject Class(string? patientClass) => patientClass?.Trim() switch
    {
        "I" => Coding(ActCode, "IMP", "inpatient encounter"),
        "O" or "R" or "C" => Coding(ActCode, "AMB", "ambulatory"),
        "E" => Coding(ActCode, "EMER", "emergency"),
        "P" => Coding(ActCode, "PRENC", "pre-admission"),
        "B" => Coding(ActCode, "IMP", "inpatient encounter"),
        _ => Coding("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK", "unknown"),
    };

    private static JsonObject Coding(string system, string code, string display) =>
        new() { ["system"] = system, ["code"] = code, ["display"] = display };

    /// <summary>PL: "point of care, room, bed, facility" as a display (no Location resources are created).</summary>
    private static string? Location(Hl7Location? location)
    {
        if (location is null)
        {
            return null;
        }

        var sb = new StringBuilder();
        Append(sb, location.PointOfCare);
        Append(sb, location.Room);
        Append(sb, location.Bed);
        Append(sb, location.Facility?.NamespaceId);
        Append(sb, location.Description);
        return FhirValues.Text(sb.ToString());
    }

    private static string? Display(Hl7Practitioner doctor)
    {
        if (doctor.Name is not { } name)
        {
            return FhirValues.Text(doctor.Id);
        }

        var sb = new StringBuilder();
        Append(sb, name.Prefix, " ");
        Append(sb, name.Given, " ");
        Append(sb, name.Middle, " ");
        Append(sb, name.Family, " ");
        Append(sb, name.Suffix, " ");
        return FhirValues.Text(sb.ToString());
    }

    private static void Append(StringBuilder sb, string? part, string separator = ", ")
    {
        if (!string.IsNullOrWhiteSpace(part))
        {
            sb.Append(sb.Length > 0 ? separator : string.Empty).Append(part.Trim());
        }
    }
}
