using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;

namespace Carevault.Fhir.Tests.Validation;

public sealed class FhirValidatorExampleTests
{
    private readonly FhirValidator _validator = new(FhirSpec.R4);

    public static TheoryData<string> ValidFiles() => new(TestData.JsonFiles(invalid: false));

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_WhenOfficialOrSyntheaExample_ReportsNoErrors(string file)
    {
        var result = _validator.Validate(FhirJson.SkipUtf8Bom(TestData.Bytes(file)));

        var errors = result.Issues.Where(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal).Select(i => i.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.True(result.IsValid);
    }
}
