using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;

namespace Carevault.Fhir.Tests.Validation;

public sealed class FhirValidatorExampleTests
{
    // microsoft/fhir-server's transaction test file breaks R4 rules its server does not enforce; asserted separately.
    private const string NonConformantExample = "bundle-transaction-conditional-create.json";

    private readonly FhirValidator _validator = new(FhirSpec.R4);

    public static TheoryData<string> ValidFiles() => new(TestData.JsonFiles(invalid: false).Where(f => f != NonConformantExample));

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_WhenValidExample_ReportsNoErrors(string file)
    {
        var result = _validator.Validate(FhirJson.SkipUtf8Bom(TestData.Bytes(file)));

        var errors = result.Issues.Where(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal).Select(i => i.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.True(result.IsValid);
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Validate_WhenEachBundleEntryValidatedAlone_ReportsNoErrors(string file)
    {
        using var doc = TestData.Parse(file);

        foreach (var resource in TestData.ResourcesIn(doc.RootElement))
        {
            var result = _validator.Validate(resource);
            Assert.True(result.IsValid, string.Join("\n", result.Issues));
        }
    }

    [Fact]
    public void Validate_WhenTransactionBundleFromFhirServerTests_ReportsItsThreeR4Violations()
    {
        var result = _validator.Validate(FhirJson.SkipUtf8Bom(TestData.Bytes(NonConformantExample)));

        Assert.Equal(
            [
                "error value @ Bundle.entry[0].resource.identifier[0].system",
                "error required @ Bundle.entry[1].resource.series[0].instance[0].sopClass",
                "error required @ Bundle.entry[1].resource.series[0].modality",
            ],
            result.Issues.Select(i => $"{i.SeverityCode} {i.Code} @ {i.Location}"));
    }

    [Fact]
    public void Validate_WhenSyntheaBundleHasTypesOutsideTables_ReportsThemAsInformation()
    {
        var result = _validator.Validate(TestData.Bytes("synthea_Roland928_Nienow652_batch.json"));

        Assert.True(result.IsValid);
        Assert.Contains(result.Issues, i => i.Type == IssueType.NotSupported && i.Severity == IssueSeverity.Information && i.Location.StartsWith("Bundle.entry[", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_WhenBundleHasNoType_ReportsRequiredAtBundleType()
    {
        var result = _validator.Validate(TestData.Bytes("invalid_bundle_no_type.json"));

        var error = Assert.Single(result.Issues, i => i.Severity == IssueSeverity.Error);
        Assert.Equal(IssueType.Required, error.Type);
        Assert.Equal("Bundle.type", error.Location);
    }

    [Fact]
    public void Validate_WhenObservationStatusInvalidAfterBomSkipped_ReportsCodeInvalidAndMissingCode()
    {
        var result = _validator.Validate(FhirJson.SkipUtf8Bom(TestData.Bytes("invalid_observation_bad_status_bom.json")));

        Assert.Equal(
            ["code-invalid @ Observation.status", "required @ Observation.code"],
            result.Issues.Select(i => $"{i.Code} @ {i.Location}"));
        Assert.DoesNotContain("this_is_invalid", string.Join(" ", result.Issues.Select(i => i.Diagnostics)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenResourceTypeEmptyAfterBomSkipped_ReportsInvalidAtResourceType()
    {
        var result = _validator.Validate(FhirJson.SkipUtf8Bom(TestData.Bytes("invalid_patient_empty_resourceType_bom.json")));

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueType.Invalid, issue.Type);
        Assert.Equal("resourceType", issue.Location);
    }

    [Theory]
    [InlineData("invalid_observation_bad_status_bom.json")]
    [InlineData("invalid_patient_empty_resourceType_bom.json")]
    [InlineData("bundle-transaction-conditional-create.json")]
    public void Validate_WhenBytesStartWithBom_ReportsFatalStructure(string file)
    {
        var result = _validator.Validate(TestData.Bytes(file));

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.Structure, issue.Type);
        Assert.Contains("byte order mark", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenJsonTruncated_ReportsFatalParseErrorWithoutContent()
    {
        var result = _validator.Validate(TestData.Bytes("invalid_patient_truncated_json.json"));

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.Structure, issue.Type);
        Assert.Equal(string.Empty, issue.Location);
        Assert.StartsWith("Invalid JSON at line", issue.Diagnostics, StringComparison.Ordinal);
    }
}
