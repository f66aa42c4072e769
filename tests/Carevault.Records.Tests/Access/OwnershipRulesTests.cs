using System.Text.Json;
using Carevault.Fhir.Spec;
using Carevault.Records.Access;

namespace Carevault.Records.Tests.Access;

public sealed class OwnershipRulesTests
{
    static readonly OwnershipRules Rules = new(FhirSpec.R4);

    static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}""", "Observation", null, true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p2"},"performer":[{"reference":"Patient/p1"}]}""", "Observation", null, true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"http://other.example/fhir/Patient/p1"}}""", "Observation", null, true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p2"}}""", "Observation", null, false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Group/p1"}}""", "Observation", null, false)]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}""", "Condition", null, true)]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Patient/p2"},"asserter":{"reference":"Patient/p1"}}""", "Condition", null, true)]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Patient/p2"},"recorder":{"reference":"Patient/p1"}}""", "Condition", null, false)]
    [InlineData("""{"resourceType":"Patient"}""", "Patient", "p1", true)]
    [InlineData("""{"resourceType":"Patient","link":[{"other":{"reference":"Patient/p1"},"type":"seealso"}]}""", "Patient", "p3", true)]
    [InlineData("""{"resourceType":"Patient"}""", "Patient", "p2", false)]
    [InlineData("""{"resourceType":"Patient"}""", "Patient", null, false)]
    [InlineData("""{"resourceType":"Practitioner"}""", "Practitioner", "p1", false)]
    [InlineData("""{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"}]}""", "Appointment", null, true)]
    public void InPatientCompartment_FollowsTheCompartmentDefinition(string json, string type, string? id, bool expected) =>
        Assert.Equal(expected, Rules.InPatientCompartment(type, id, Json(json), "p1"));

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"performer":[{"reference":"Organization/o"},{"reference":"Practitioner/d1"}]}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"performer":[{"reference":"Practitioner/d2"}]}""", false)]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"recorder":{"reference":"Practitioner/d1"}}""", true)]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"asserter":{"reference":"Practitioner/d1"}}""", true)]
    [InlineData("""{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"requester":{"reference":"Practitioner/d1"}}""", true)]
    [InlineData("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"participant":[{"individual":{"reference":"Practitioner/d1"}}]}""", true)]
    [InlineData("""{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"url":"x"}}],"author":[{"reference":"Practitioner/d1"}]}""", true)]
    [InlineData("""{"resourceType":"Communication","status":"completed","recipient":[{"reference":"Practitioner/d1"}]}""", false)]
    [InlineData("""{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/d1"}]}""", false)]
    public void AuthoredBy_ReadsTheAuthorReferencesOnly(string json, bool expected)
    {
        var resource = Json(json);
        Assert.Equal(expected, Rules.AuthoredBy(resource.GetProperty("resourceType").GetString()!, resource, "d1"));
    }

    [Fact]
    public void AuthorPaths_EveryPath_IsAReferenceElementThatCanNameAPractitioner()
    {
        foreach (var (type, paths) in OwnershipRules.AuthorPaths)
        {
            foreach (var path in paths.Split('|', StringSplitOptions.TrimEntries))
            {
                Assert.StartsWith(type + ".", path, StringComparison.Ordinal);
                var element = FhirSpec.R4.FindElement(path);
                Assert.True(element is not null, $"{path} is not an R4 element");
                Assert.Contains(element.Types, t => t.Code == "Reference" && (t.TargetTypes.Count == 0 || t.TargetTypes.Any(p => p is "Practitioner" or "Resource")));
            }
        }
    }
}
