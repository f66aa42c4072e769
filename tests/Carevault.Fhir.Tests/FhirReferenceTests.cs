namespace Carevault.Fhir.Tests;

public sealed class FhirReferenceTests
{
    [Theory]
    [InlineData("Patient/123", FhirReferenceKind.Relative, "Patient", "123")]
    [InlineData("Patient/123/_history/4", FhirReferenceKind.Relative, "Patient", "123")]
    [InlineData("https://ex.org/fhir/Observation/o.1", FhirReferenceKind.Absolute, "Observation", "o.1")]
    [InlineData("#p1", FhirReferenceKind.Contained, null, "p1")]
    [InlineData("#", FhirReferenceKind.Contained, null, "")]
    [InlineData("urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8", FhirReferenceKind.Uuid, null, "urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8")]
    [InlineData("urn:oid:1.2.3", FhirReferenceKind.Oid, null, "urn:oid:1.2.3")]
    [InlineData("Patient?identifier=a|b", FhirReferenceKind.Conditional, "Patient", null)]
    [InlineData("http://ex.org/other", FhirReferenceKind.OtherAbsolute, null, null)]
    public void TryParse_WhenWellFormed_ReturnsKindTypeAndId(string reference, FhirReferenceKind kind, string? type, string? id)
    {
        Assert.True(FhirReference.TryParse(reference, out var parsed));
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(type, parsed.ResourceType);
        Assert.Equal(id, parsed.Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Patient")]
    [InlineData("Patient/")]
    [InlineData("patient/1")]
    [InlineData("Patient/a b")]
    [InlineData("a/Patient/1")]
    [InlineData("urn:uuid:XYZ")]
    [InlineData("urn:oid:abc")]
    public void TryParse_WhenMalformed_ReturnsFalse(string reference) =>
        Assert.False(FhirReference.TryParse(reference, out _));
}
