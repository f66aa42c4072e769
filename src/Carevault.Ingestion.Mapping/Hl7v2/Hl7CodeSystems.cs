using System.Text.Json.Nodes;
using Carevault.Hl7v2.Types;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>
/// HL7 v2 coding system names (table 0396) to FHIR code system URIs — the ones the HL7 v2-to-FHIR mapping guide
/// and terminology.hl7.org name. Local ("L", "99zzz") and unknown systems give no system: the coding keeps its code
/// and display (decision 0011).
/// </summary>
internal static class Hl7CodeSystems
{
    public const string Ucum = "http://unitsofmeasure.org";
    public const string Loinc = "http://loinc.org";

    private static readonly Dictionary<string, string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["LN"] = Loinc,
        ["LOINC"] = Loinc,
        ["SCT"] = "http://snomed.info/sct",
        ["SNM"] = "http://snomed.info/sct",
        ["SNM3"] = "http://snomed.info/sct",
        ["SNOMED"] = "http://snomed.info/sct",
        ["SCT2"] = "http://snomed.info/sct",
        ["UCUM"] = Ucum,
        ["I9"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I9C"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I9CDX"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I9M"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["I10"] = "http://hl7.org/fhir/sid/icd-10",
        ["I10C"] = "http://hl7.org/fhir/sid/icd-10-cm",
        ["ICD10CM"] = "http://hl7.org/fhir/sid/icd-10-cm",
        ["I10P"] = "http://www.cms.gov/Medicare/Coding/ICD10",
        ["C4"] = "http://www.ama-assn.org/go/cpt",
        ["CPT"] = "http://www.ama-assn.org/go/cpt",
        ["NDC"] = "http://hl7.org/fhir/sid/ndc",
        ["RXNORM"] = "http://www.nlm.nih.gov/research/umls/rxnorm",
        ["CVX"] = "http://hl7.org/fhir/sid/cvx",
        ["DCM"] = "http://dicom.nema.org/resources/ontology/DCM",
        ["CDCREC"] = "urn:oid:2.16.840.1.113883.6.238",
        ["NPI"] = "http://hl7.org/fhir/sid/us-npi",
    };

    /// <summary>The FHIR system for a v2 coding system name, or null for local/unknown ones.</summary>
    public static string? ToUri(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        name = name.Trim();
        if (Known.TryGetValue(name, out string? uri))
        {
            return uri;
        }

        // "HL70078" → the v2 table's own code system.
        if (name.Length == 7 && name.StartsWith("HL7", StringComparison.OrdinalIgnoreCase) && IsDigits(name.AsSpan(3)))
        {
            return "http://terminology.hl7.org/CodeSystem/v2-" + name[3..];
        }

        // A coding system given as an OID (v2.7+ allows it in CWE.3/CWE.14).
        return IdentifierSystems.FromAuthority(null, name, "ISO") is { } oid && oid.StartsWith("urn:oid:", StringComparison.Ordinal) ? oid : null;
    }

    /// <summary>
    /// CE/CWE → CodeableConcept: the primary and the alternate triplet as codings, original text (CWE.9) or the
    /// first text as <c>text</c>. Null when it holds nothing.
    /// </summary>
    public static JsonObject? ToCodeableConcept(Hl7CodedElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var codings = new JsonArray();
        AddCoding(codings, element.Code, element.Text, element.CodingSystem, element.CodingSystemVersion);
        AddCoding(codings, element.AlternateCode, element.AlternateText, element.AlternateCodingSystem, null);
        var concept = new JsonObject();
        if (codings.Count > 0)
        {
            concept["coding"] = codings;
        }

        if (FhirValues.Text(element.OriginalText ?? element.Text ?? element.AlternateText) is { } text)
        {
            concept["text"] = text;
        }

        return concept.Count == 0 ? null : concept;
    }

    private static void AddCoding(JsonArray codings, string? code, string? display, string? system, string? version)
    {
        if (FhirValues.Code(code) is not { } c)
        {
            return;
        }

        var coding = new JsonObject();
        if (ToUri(system) is { } uri)
        {
            coding["system"] = uri;
            if (FhirValues.Text(version) is { } v)
            {
                coding["version"] = v;
            }
        }

        coding["code"] = c;
        if (FhirValues.Text(display) is { } d)
        {
            coding["display"] = d;
        }

        codings.Add(coding);
    }

    private static bool IsDigits(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExceptInRange('0', '9');
}
