using System.Text.Json;
using Carevault.Fhir;
using Carevault.Fhir.FhirPath;
using Carevault.Fhir.Spec;

namespace Carevault.Records.Access;

/// <summary>
/// How a resource relates to a person (docs/decisions/0008-fhir-access.md), read from the resource itself:
/// - in <c>Patient/{id}</c>'s compartment: the resource is that Patient, or a parameter the FHIR R4 Patient
///   CompartmentDefinition lists for its type references that Patient (<see cref="PatientCompartment"/>);
/// - authored by <c>Practitioner/{id}</c>: one of its type's author-like references (<see cref="AuthorPaths"/>) names that Practitioner.
/// Searches use the same compartment parameters through the reference index (<c>SearchSql</c>), so a read and a search
/// never disagree about what is in a compartment.
/// </summary>
public sealed class OwnershipRules(FhirSpec spec)
{
    /// <summary>
    /// Who wrote an entry, per type: the references that name the clinician responsible for it. Chosen from the R4
    /// element definitions (the recorder/author/requester/performer of each), not from the compartment table: being
    /// in a Practitioner's compartment (e.g. as a mere participant or recipient) is not authorship. Types not listed
    /// (Patient, Practitioner, Organization, Medication, …) have no author, so no doctor "owns" them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> AuthorPaths = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AllergyIntolerance"] = "AllergyIntolerance.recorder | AllergyIntolerance.asserter",
        ["Communication"] = "Communication.sender",
        ["CommunicationRequest"] = "CommunicationRequest.requester",
        ["Condition"] = "Condition.recorder | Condition.asserter",
        ["Consent"] = "Consent.performer",
        ["DiagnosticReport"] = "DiagnosticReport.performer | DiagnosticReport.resultsInterpreter",
        ["DocumentReference"] = "DocumentReference.author | DocumentReference.authenticator",
        ["Encounter"] = "Encounter.participant.individual",
        ["Flag"] = "Flag.author",
        ["ImagingStudy"] = "ImagingStudy.interpreter",
        ["MedicationRequest"] = "MedicationRequest.requester",
        ["Observation"] = "Observation.performer",
        ["Provenance"] = "Provenance.agent.who",
        ["QuestionnaireResponse"] = "QuestionnaireResponse.author",
    };

    static readonly Dictionary<string, FhirPathExpression> AuthorExpressions =
        AuthorPaths.ToDictionary(p => p.Key, p => FhirPathExpression.Parse(p.Value), StringComparer.Ordinal);

    /// <summary>True when the resource is in <c>Patient/{patientId}</c>'s compartment. <paramref name="id"/> is the resource's stored id (null before it has one).</summary>
    public bool InPatientCompartment(string type, string? id, JsonElement resource, string patientId)
    {
        if (type == "Patient" && id == patientId) return true;
        foreach (var code in PatientCompartment.ParametersOf(type))
        {
            if (spec.FindSearchParameter(type, code)?.CompiledExpression is { } expression && References(expression, resource, "Patient", patientId)) return true;
        }
        return false;
    }

    /// <summary>True when one of the type's author references names <c>Practitioner/{practitionerId}</c>.</summary>
    public bool AuthoredBy(string type, JsonElement resource, string practitionerId) =>
        AuthorExpressions.TryGetValue(type, out var expression) && References(expression, resource, "Practitioner", practitionerId);

    bool References(FhirPathExpression expression, JsonElement resource, string targetType, string targetId)
    {
        foreach (var node in expression.Evaluate(resource, spec))
        {
            var value = node.Value;
            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String => r.GetString(),
                _ => null,
            };
            // The same reading as the search index (SearchIndexer.AddReference): relative or absolute Type/id.
            if (text is not null && FhirReference.TryParse(text, out var reference) && reference.Kind is FhirReferenceKind.Relative or FhirReferenceKind.Absolute
                && reference.ResourceType == targetType && reference.Id == targetId)
                return true;
        }
        return false;
    }
}
