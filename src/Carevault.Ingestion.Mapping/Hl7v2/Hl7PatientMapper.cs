using System.Text.Json.Nodes;
using Carevault.Hl7v2;
using Carevault.Hl7v2.Messages;
using Carevault.Hl7v2.Types;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>PID → Patient, and the identifier the Patient is matched on.</summary>
internal static class Hl7PatientMapper
{
    /// <summary>
    /// The identifier to match on: the first PID-3 repetition with an assigning authority, preferring the
    /// identifier types that name a person in this sender's records (MR, PI, PT, MRN); else the upload's.
    /// PID-2 (the pre-2.5 external id) is not matched on.
    /// </summary>
    public static PatientIdentifier? MatchIdentifier(Hl7Segment? pid, MappingInput input)
    {
        PatientIdentifier? fallback = null;
        if (pid is { } segment)
        {
            Hl7Value pid3 = segment.Field(3);
            for (int r = 0; r < pid3.RepetitionCount; r++)
            {
                if (Hl7Identifier.From(pid3.Repetition(r)) is not { } id || System(id) is not { } system || FhirValues.Text(id.Value.Trim()) is not { } value)
                {
                    continue;
                }

                if (id.TypeCode is "MR" or "PI" or "PT" or "MRN")
                {
                    return new PatientIdentifier(system, value);
                }

                fallback ??= new PatientIdentifier(system, value);
            }
        }

        return fallback ?? FromUpload(input);
    }

    public static PatientIdentifier? FromUpload(MappingInput input) =>
        FhirValues.Uri(input.PatientIdentifierSystem?.Trim()) is { } system && FhirValues.Text(input.PatientIdentifierValue?.Trim()) is { } value
            ? new PatientIdentifier(system, value)
            : null;

    /// <summary>PID-3 assigning authority (CX.4), else the assigning facility (CX.6).</summary>
    public static string? System(Hl7Identifier id) =>
        Authority(id.AssigningAuthority) ?? Authority(id.AssigningFacility);

    private static string? Authority(Hl7HierarchicDesignator? hd) =>
        hd is null ? null : IdentifierSystems.FromAuthority(hd.NamespaceId, hd.UniversalId, hd.UniversalIdType);

    /// <summary>Patient with identifiers, names, birth date and gender; <paramref name="pid"/> adds address and telecom.</summary>
    public static JsonObject ToPatient(Hl7Patient? patient, PatientIdentifier match, Hl7Segment? pid)
    {
        var resource = new JsonObject { ["resourceType"] = "Patient" };
        var identifiers = new JsonArray();
        bool matchListed = false;
        foreach (Hl7Identifier id in patient?.Identifiers ?? [])
        {
            if (FhirValues.Text(id.Value.Trim()) is not { } value)
            {
                continue;
            }

            var identifier = new JsonObject();
            if (FhirValues.Code(id.TypeCode) is { } type)
            {
                identifier["type"] = FhirValues.CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", type, null);
            }

            string? system = System(id);
            if (system is not null)
            {
                identifier["system"] = system;
            }

            identifier["value"] = value;
            matchListed |= system == match.System && value == match.Value;
            identifiers.Add(identifier);
        }

        if (!matchListed)
        {
            identifiers.Insert(0, new JsonObject { ["system"] = match.System, ["value"] = match.Value });
        }

        resource["identifier"] = identifiers;
        if (Names(patient) is { } names)
        {
            resource["name"] = names;
        }

        if (pid is { } segment)
        {
            if (Hl7ContactMapper.Telecom(segment) is { } telecom)
            {
                resource["telecom"] = telecom;
            }
        }

        if (FhirValues.Gender(patient?.Sex) is { } gender)
        {
            resource["gender"] = gender;
        }

        if (Hl7Dates.Date(patient?.BirthDate) is { } birthDate)
        {
            resource["birthDate"] = birthDate;
        }

        if (pid is { } p && Hl7ContactMapper.Addresses(p.Field(11)) is { } addresses)
        {
            resource["address"] = addresses;
        }

        return resource;
    }

    private static JsonArray? Names(Hl7Patient? patient)
    {
        if (patient is null || patient.Names.Count == 0)
        {
            return null;
        }

        var names = new JsonArray();
        foreach (Hl7PersonName name in patient.Names)
        {
            if (ToHumanName(name) is { } human)
            {
                names.Add(human);
            }
        }

        return names.Count == 0 ? null : names;
    }

    public static JsonObject? ToHumanName(Hl7PersonName name)
    {
        var human = new JsonObject();
        // HL7 table 0200 name types → FHIR name-use.
        string? use = name.TypeCode switch
        {
            "L" => "official",
            "D" => "usual",
            "M" => "maiden",
            "N" => "nickname",
            "A" or "S" => "anonymous",
            "T" => "temp",
            _ => null,
        };
        if (use is not null)
        {
            human["use"] = use;
        }

        if (FhirValues.Text(name.Family) is { } family)
        {
            human["family"] = family;
        }

        var given = new JsonArray();
        if (FhirValues.Text(name.Given) is { } first)
        {
            given.Add(first);
        }

        if (FhirValues.Text(name.Middle) is { } middle)
        {
            given.Add(middle);
        }

        if (given.Count > 0)
        {
            human["given"] = given;
        }

        if (FhirValues.Text(name.Prefix) is { } prefix)
        {
            human["prefix"] = new JsonArray(prefix);
        }

        if (FhirValues.Text(name.Suffix) is { } suffix)
        {
            human["suffix"] = new JsonArray(suffix);
        }

        return human.ContainsKey("family") || human.ContainsKey("given") ? human : null;
    }
}
