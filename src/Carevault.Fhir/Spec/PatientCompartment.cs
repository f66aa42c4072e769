using Carevault.Fhir.Generated;

namespace Carevault.Fhir.Spec;

/// <summary>
/// The FHIR R4 Patient compartment (compartmentdefinition-patient.json, generated into
/// <c>Generated/PatientCompartment.g.cs</c>): a resource is in <c>Patient/{id}</c>'s compartment when one of its type's
/// parameters references that Patient; the Patient itself is in its own compartment (FHIR R4 compartmentdefinition.html).
/// </summary>
public static class PatientCompartment
{
    /// <summary>The search parameters of <paramref name="resourceType"/> that place it in a patient's compartment; empty when none do.</summary>
    public static IReadOnlyList<string> ParametersOf(string resourceType) =>
        PatientCompartmentData.Parameters.TryGetValue(resourceType, out var parameters) ? parameters : [];

    /// <summary>Every stored resource type that can be in a patient's compartment (Patient included), in ordinal order.</summary>
    public static IReadOnlyList<string> ResourceTypes { get; } = PatientCompartmentData.Parameters.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>SHA-256 of the definition file the table was generated from.</summary>
    public static string InputSha256 => PatientCompartmentData.InputSha256;
}
