using System.Security.Cryptography;
using Carevault.Fhir.Spec;

namespace Carevault.Fhir.Tests.Spec;

public sealed class PatientCompartmentTests
{
    [Fact]
    public void ParametersOf_EveryListedParameter_IsAReferenceSearchParameterOfTheType()
    {
        // The store finds compartment members through the reference index, so each parameter must be one it indexes.
        foreach (var type in PatientCompartment.ResourceTypes)
        {
            foreach (var code in PatientCompartment.ParametersOf(type))
            {
                var parameter = FhirSpec.R4.FindSearchParameter(type, code);
                Assert.True(parameter is { Type: SearchParamType.Reference }, $"{type}.{code} is not a reference search parameter");
                Assert.NotNull(parameter.CompiledExpression);
            }
        }
    }

    [Fact]
    public void ParametersOf_MatchesTheSpecTable()
    {
        // FHIR R4 compartmentdefinition-patient.html
        Assert.Equal(["subject", "performer"], PatientCompartment.ParametersOf("Observation"));
        Assert.Equal(["patient", "asserter"], PatientCompartment.ParametersOf("Condition"));
        Assert.Equal(["link"], PatientCompartment.ParametersOf("Patient"));
        Assert.Empty(PatientCompartment.ParametersOf("Practitioner"));
        Assert.Empty(PatientCompartment.ParametersOf("Organization"));
        Assert.Contains("Patient", PatientCompartment.ResourceTypes);
        Assert.DoesNotContain("Medication", PatientCompartment.ResourceTypes);
    }

    [Fact]
    public void InputSha256_WhenDefinitionsInstalled_MatchesInstalledFile()
    {
        Assert.Matches("^[0-9a-f]{64}$", PatientCompartment.InputSha256);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "tools", "fhir-codegen"))) dir = dir.Parent;
        var file = Path.Combine(dir?.FullName ?? "", "tools", "fhir-codegen", "node_modules", "@medplum", "definitions", "dist", "fhir", "r4", "compartmentdefinition-patient.json");
        if (!File.Exists(file)) return; // node_modules not installed: nothing to compare with
        Assert.Equal(PatientCompartment.InputSha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
    }
}
