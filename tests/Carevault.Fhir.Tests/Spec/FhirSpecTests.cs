using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Carevault.Fhir.Spec;
using Carevault.Fhir.Tests.FhirPath;
using Xunit.Abstractions;

namespace Carevault.Fhir.Tests.Spec;

public sealed class FhirSpecTests(ITestOutputHelper output)
{
    private static readonly FhirSpec Spec = FhirSpec.R4;

    [Fact]
    public void FindType_EveryCarevaultResourceType_IsInTables()
    {
        foreach (var name in FhirPathExpressionTests.CarevaultTypes)
        {
            var type = Spec.FindType(name);
            Assert.NotNull(type);
            Assert.Equal(FhirTypeKind.Resource, type.Kind);
            Assert.True(Spec.IsKnownResourceType(name));
        }
    }

    [Fact]
    public void FindType_Patient_HasInheritedAndOwnChildren()
    {
        var patient = Spec.FindType("Patient")!;

        Assert.Equal("DomainResource", patient.BaseName);
        Assert.False(patient.IsAbstract);
        foreach (var name in new[] { "id", "meta", "language", "text", "contained", "extension", "modifierExtension", "name", "deceasedBoolean", "deceasedDateTime" })
        {
            Assert.True(patient.Children.ContainsKey(name), name);
        }

        Assert.False(patient.Children.ContainsKey("deceased[x]"));
    }

    [Fact]
    public void FindType_Bundle_IsResourceWithoutDomainResourceElements()
    {
        var bundle = Spec.FindType("Bundle")!;

        Assert.Equal("Resource", bundle.BaseName);
        Assert.True(bundle.Children.ContainsKey("meta"));
        Assert.False(bundle.Children.ContainsKey("text"));
    }

    [Fact]
    public void FindType_ComplexDatatypesUsed_AreInTables()
    {
        foreach (var name in new[] { "HumanName", "Identifier", "Reference", "Quantity", "Age", "Attachment", "Timing", "Dosage", "Meta", "Narrative", "Extension", "Signature", "SampledData" })
        {
            Assert.Equal(FhirTypeKind.ComplexType, Spec.FindType(name)?.Kind);
        }
    }

    [Fact]
    public void FindElement_ChoiceElement_ListsAllTypes()
    {
        var value = Spec.FindElement("Observation.value[x]")!;

        Assert.True(value.IsChoice);
        Assert.Equal(0, value.Min);
        Assert.Equal("1", value.Max);
        Assert.Equal(
            ["Quantity", "CodeableConcept", "string", "boolean", "integer", "Range", "Ratio", "SampledData", "time", "dateTime", "Period"],
            value.Types.Select(t => t.Code));
        Assert.Same(value, Spec.FindType("Observation")!.Children["valueQuantity"].Element);
    }

    [Fact]
    public void FindElement_Reference_HasTargetTypes()
    {
        var subject = Spec.FindElement("Observation.subject")!;

        Assert.Equal("Reference", subject.Types[0].Code);
        Assert.Equal(["Patient", "Group", "Device", "Location"], subject.Types[0].TargetTypes);
    }

    [Fact]
    public void FindElement_BackboneChild_HasCardinalityAndType()
    {
        var other = Spec.FindElement("Patient.link.other")!;

        Assert.Equal(1, other.Min);
        Assert.Equal("1", other.Max);
        Assert.False(other.IsArray);
        Assert.True(Spec.FindElement("Patient.link")!.Children!.ContainsKey("modifierExtension"));
    }

    [Fact]
    public void FindElement_InheritedAndThroughDatatype_Resolves()
    {
        Assert.Equal("id", Spec.FindElement("Patient.id")!.Types[0].Code);
        Assert.Equal("string", Spec.FindElement("Patient.name.given")!.Types[0].Code);
        Assert.True(Spec.FindElement("Patient.name.given")!.IsArray);
        Assert.Null(Spec.FindElement("Patient.nickname"));
    }

    [Fact]
    public void FindElement_ContentReference_ReusesChildren()
    {
        var nested = Spec.FindElement("Questionnaire.item.item")!;

        Assert.Same(Spec.FindElement("Questionnaire.item"), nested.ContentReference);
        Assert.True(nested.Children!.ContainsKey("linkId"));
    }

    [Fact]
    public void FindValueSet_RequiredBinding_IsExpanded()
    {
        var key = Spec.FindElement("Patient.gender")!.ValueSetKey!;
        var vs = Spec.FindValueSet(key)!;

        Assert.Equal("administrative-gender", key);
        Assert.Equal(["female", "male", "other", "unknown"], vs.CodesBySystem["http://hl7.org/fhir/administrative-gender"].Order(StringComparer.Ordinal));
        Assert.True(vs.Contains("http://hl7.org/fhir/administrative-gender", "male"));
        Assert.False(vs.ContainsCode("m"));
    }

    [Fact]
    public void FindElement_NonRequiredBinding_HasNoValueSet() =>
        Assert.Null(Spec.FindElement("Patient.maritalStatus")!.ValueSetKey);

    [Fact]
    public void GetSearchParameters_Patient_IncludesCommonAndOwn()
    {
        var codes = Spec.GetSearchParameters("Patient").Select(p => p.Code).ToList();

        Assert.Contains("_id", codes);
        Assert.Contains("_lastUpdated", codes);
        Assert.Contains("_text", codes);
        Assert.Contains("name", codes);
        Assert.Contains("birthdate", codes);
        Assert.DoesNotContain("code", codes);
    }

    [Fact]
    public void GetSearchParameters_Bundle_HasNoDomainResourceParameters() =>
        Assert.DoesNotContain(Spec.GetSearchParameters("Bundle"), p => p.BaseType == "DomainResource");

    [Fact]
    public void FindSearchParameter_SharedParameter_KeepsOnlyThisTypesExpression()
    {
        var p = Spec.FindSearchParameter("Observation", "patient")!;

        Assert.Equal(SearchParamType.Reference, p.Type);
        Assert.Equal("Observation.subject.where(resolve() is Patient)", p.Expression);
        Assert.Equal(["Patient"], p.Targets);
    }

    [Fact]
    public void FindSearchParameter_Composite_HasComponents()
    {
        var p = Spec.FindSearchParameter("Observation", "code-value-quantity")!;

        Assert.Equal(SearchParamType.Composite, p.Type);
        Assert.Equal([new FhirSearchComponent("code", "code"), new FhirSearchComponent("value-quantity", "value.ofType(Quantity)")], p.Components);
    }

    [Fact]
    public void FindSearchParameter_Common_FoundThroughBase()
    {
        var p = Spec.FindSearchParameter("Encounter", "_lastUpdated")!;

        Assert.Equal("Resource", p.BaseType);
        Assert.Equal(SearchParamType.Date, p.Type);
        Assert.Null(Spec.FindSearchParameter("Encounter", "nope"));
    }

    [Fact]
    public void AllResourceTypes_AreTheR4Set()
    {
        Assert.Equal(146, Spec.AllResourceTypes.Count);
        Assert.False(Spec.IsKnownResourceType("SubscriptionStatus")); // R4B, added by the source package
        Assert.True(Spec.IsKnownResourceType("Claim"));
    }

    [Fact]
    public void Load_FromGeneratedBlob_TakesUnderFiftyMilliseconds()
    {
        var cold = Stopwatch.StartNew();
        _ = FhirSpec.Load(); // includes JIT of the loader
        output.WriteLine($"FhirSpec first load (with JIT): {cold.Elapsed.TotalMilliseconds:F2} ms");
        var best = TimeSpan.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            _ = FhirSpec.Load();
            best = sw.Elapsed < best ? sw.Elapsed : best;
        }

        output.WriteLine($"FhirSpec load: {best.TotalMilliseconds:F2} ms (best of 5), blob {Generated.FhirSpecData.Blob.Length} bytes");
        Assert.True(best < TimeSpan.FromMilliseconds(50), $"load took {best.TotalMilliseconds} ms");
    }

    [Fact]
    public void InputSha256_WhenDefinitionsInstalled_MatchesInstalledPackage()
    {
        Assert.Matches("^[0-9a-f]{64}$", FhirSpec.InputSha256);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "tools", "fhir-codegen")))
        {
            dir = dir.Parent;
        }

        string defs = Path.Combine(dir?.FullName ?? string.Empty, "tools", "fhir-codegen", "node_modules", "@medplum", "definitions", "dist", "fhir", "r4");
        if (!Directory.Exists(defs))
        {
            output.WriteLine("node_modules not installed: run `npm ci` in tools/fhir-codegen to check the tables are current.");
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in new[] { "profiles-resources.json", "profiles-types.json", "search-parameters.json", "valuesets.json", "v3-codesystems.json" })
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            hash.AppendData(File.ReadAllBytes(Path.Combine(defs, name)));
        }

        Assert.Equal(FhirSpec.InputSha256, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
