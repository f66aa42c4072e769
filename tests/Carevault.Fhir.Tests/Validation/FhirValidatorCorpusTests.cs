using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;

namespace Carevault.Fhir.Tests.Validation;

public sealed class FhirValidatorCorpusTests
{
    private readonly FhirValidator _validator = new(FhirSpec.R4);

    public static TheoryData<string> SmallFiles() => new(
        "patient-example.json", "observation-example.json", "documentreference-example.json", "invalid_bundle_no_type.json");

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Validate_WhenTruncatedAtEveryPosition_ReportsIssuesWithoutThrowing(string file)
    {
        var bytes = FhirJson.SkipUtf8Bom(TestData.Bytes(file));

        for (int length = 0; length < bytes.Length; length += 7)
        {
            var result = _validator.Validate(bytes[..length]);
            Assert.False(result.IsValid);
        }
    }

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Validate_WhenBytesMutated_NeverThrows(string file)
    {
        var original = FhirJson.SkipUtf8Bom(TestData.Bytes(file)).ToArray();
        var random = new Random(20261121);
        byte[] interesting = "{}[]\":,0-. nulltruefalse#/\\"u8.ToArray();

        for (int round = 0; round < 300; round++)
        {
            var mutated = (byte[])original.Clone();
            for (int k = 0; k < 1 + random.Next(4); k++)
            {
                mutated[random.Next(mutated.Length)] = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : (byte)random.Next(256);
            }

            var result = _validator.Validate(mutated);
            Assert.All(result.Issues, i => Assert.False(string.IsNullOrEmpty(i.Diagnostics)));
        }
    }
}
