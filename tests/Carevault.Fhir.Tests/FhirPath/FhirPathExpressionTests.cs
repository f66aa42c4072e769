using System.Text.Json;
using Carevault.Fhir.FhirPath;
using Carevault.Fhir.Spec;

namespace Carevault.Fhir.Tests.FhirPath;

public sealed class FhirPathExpressionTests
{
    public static readonly string[] CarevaultTypes =
    [
        "Patient", "Practitioner", "PractitionerRole", "Organization", "Encounter", "Observation", "DiagnosticReport",
        "DocumentReference", "Binary", "ImagingStudy", "Condition", "AllergyIntolerance", "Medication",
        "MedicationRequest", "Appointment", "Schedule", "Slot", "Questionnaire", "QuestionnaireResponse", "Consent",
        "Provenance", "AuditEvent", "Communication", "CommunicationRequest", "Bundle", "OperationOutcome",
        "CapabilityStatement", "Group",
    ];

    private static readonly FhirSpec Spec = FhirSpec.R4;

    private static List<FhirPathNode> Eval(string expression, string resourceJson)
    {
        using var doc = JsonDocument.Parse(resourceJson);
        return FhirPathExpression.Parse(expression).Evaluate(doc.RootElement.Clone(), Spec).ToList();
    }

    private static List<FhirPathNode> EvalFile(string expression, string file)
    {
        using var doc = TestData.Parse(file);
        return FhirPathExpression.Parse(expression).Evaluate(doc.RootElement.Clone(), Spec).ToList();
    }

    public static TheoryData<string> ResourceTypes() => new(CarevaultTypes);

    [Theory]
    [MemberData(nameof(ResourceTypes))]
    public void Evaluate_EverySearchParameterOfType_OnEveryExampleResource_DoesNotThrow(string resourceType)
    {
        var parameters = Spec.GetSearchParameters(resourceType);
        Assert.NotEmpty(parameters);
        var resources = new List<JsonElement>();
        var docs = new List<JsonDocument>();
        foreach (var file in TestData.JsonFiles(invalid: false))
        {
            var doc = TestData.Parse(file);
            docs.Add(doc);
            resources.AddRange(TestData.ResourcesIn(doc.RootElement).Where(r => r.GetProperty("resourceType").GetString() == resourceType));
        }

        using var minimal = JsonDocument.Parse($$"""{"resourceType":"{{resourceType}}","id":"x"}""");
        resources.Add(minimal.RootElement);
        int evaluated = 0;
        foreach (var resource in resources)
        {
            foreach (var p in parameters)
            {
                if (p.CompiledExpression is not { } expr)
                {
                    continue;
                }

                var nodes = expr.Evaluate(resource, Spec);
                foreach (var component in p.Components)
                {
                    var componentExpr = FhirPathExpression.Parse(component.Expression);
                    foreach (var node in nodes)
                    {
                        _ = componentExpr.Evaluate(node, resource, Spec);
                    }
                }

                evaluated++;
            }
        }

        foreach (var d in docs)
        {
            d.Dispose();
        }

        Assert.True(evaluated >= parameters.Count(p => p.Expression.Length > 0));
    }

    [Fact]
    public void Evaluate_SearchParametersOnExamples_FindValuesForCoreParameters()
    {
        using var doc = TestData.Parse("synthea_hiv_Bob965_Keeling57_transaction.json");
        var typesByFullUrl = doc.RootElement.GetProperty("entry").EnumerateArray().ToDictionary(
            e => e.GetProperty("fullUrl").GetString()!, e => e.GetProperty("resource").GetProperty("resourceType").GetString(), StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in TestData.ResourcesIn(doc.RootElement))
        {
            string type = resource.GetProperty("resourceType").GetString()!;
            foreach (var p in Spec.GetSearchParameters(type))
            {
                if (p.CompiledExpression?.Evaluate(resource, Spec, typesByFullUrl.GetValueOrDefault).Count > 0)
                {
                    found.Add(type + "." + p.Code);
                }
            }
        }

        Assert.Contains("Patient.name", found);
        Assert.Contains("Patient.birthdate", found);
        Assert.Contains("Observation.patient", found);
        Assert.Contains("Observation.value-quantity", found);
        Assert.Contains("Encounter.date", found);
        Assert.Contains("DiagnosticReport.code", found);
        Assert.Contains("Encounter.patient", found);
        Assert.Contains("DocumentReference.patient", found);
    }

    [Fact]
    public void Evaluate_PathOnArray_FlattensItems()
    {
        var nodes = EvalFile("Patient.name", "patient-example.json");

        Assert.Equal(3, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("HumanName", n.TypeName));
    }

    [Fact]
    public void Evaluate_WhereWithEquality_FiltersItems()
    {
        var nodes = EvalFile("Patient.telecom.where(system='phone')", "patient-example.json");

        Assert.Equal(3, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("phone", n.Value.GetProperty("system").GetString()));
    }

    [Fact]
    public void Evaluate_ResolveIsType_FiltersReferencesByTargetType()
    {
        const string json = """{"resourceType":"Appointment","participant":[{"actor":{"reference":"Patient/1"}},{"actor":{"reference":"Practitioner/2"}},{"actor":{"reference":"http://x.org/fhir/Patient/3"}}]}""";

        var patients = Eval("Appointment.participant.actor.where(resolve() is Patient)", json);
        var practitioners = Eval("Appointment.participant.actor.where(resolve() is Practitioner)", json);

        Assert.Equal(["Patient/1", "http://x.org/fhir/Patient/3"], patients.Select(n => n.Value.GetProperty("reference").GetString()));
        Assert.Equal("Practitioner/2", Assert.Single(practitioners).Value.GetProperty("reference").GetString());
    }

    [Fact]
    public void Evaluate_ResolveOfUrnUuidWithType_UsesReferenceType()
    {
        var nodes = Eval("Observation.subject.where(resolve() is Patient)", """{"resourceType":"Observation","subject":{"reference":"urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8","type":"Patient"}}""");

        Assert.Single(nodes);
    }

    [Fact]
    public void Evaluate_ResolveOfUrnUuidWithoutType_IsEmptyUnlessResolverKnowsIt()
    {
        const string json = """{"resourceType":"Observation","subject":{"reference":"urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8"}}""";
        using var doc = JsonDocument.Parse(json);
        var expr = FhirPathExpression.Parse("Observation.subject.where(resolve() is Patient)");

        Assert.Empty(expr.Evaluate(doc.RootElement, Spec));
        Assert.Single(expr.Evaluate(doc.RootElement, Spec, r => r.StartsWith("urn:uuid:6fc9", StringComparison.Ordinal) ? "Patient" : null));
    }

    [Fact]
    public void Evaluate_ResolveOfContainedReference_YieldsContainedResource()
    {
        var nodes = Eval("Patient.generalPractitioner.resolve()", """{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p1","active":true}],"generalPractitioner":[{"reference":"#p1"}]}""");

        var node = Assert.Single(nodes);
        Assert.Equal("Practitioner", node.TypeName);
        Assert.True(node.Value.GetProperty("active").GetBoolean());
    }

    [Fact]
    public void Evaluate_ChoiceElement_SelectsPresentChoiceWithType()
    {
        var nodes = EvalFile("Observation.value", "observation-example.json");

        var node = Assert.Single(nodes);
        Assert.Equal("Quantity", node.TypeName);
        Assert.Equal(185, node.Value.GetProperty("value").GetInt32());
    }

    [Theory]
    [InlineData("(Observation.value.ofType(Quantity))", 1)]
    [InlineData("(Observation.value as Quantity)", 1)]
    [InlineData("Observation.value.as(Quantity)", 1)]
    [InlineData("(Observation.value.ofType(CodeableConcept))", 0)]
    [InlineData("(Observation.value.ofType(dateTime)) | (Observation.value.ofType(Period))", 0)]
    [InlineData("Observation.effective", 1)]
    [InlineData("Observation.code | Observation.component.code", 1)]
    [InlineData("Observation.code.coding[0]", 1)]
    [InlineData("Observation.code.coding[5]", 0)]
    [InlineData("Observation.code.coding.first().code", 1)]
    [InlineData("Observation | Observation.component", 1)]
    [InlineData("Observation.subject.exists()", 1)]
    public void Evaluate_OperatorsOnObservationExample_ReturnExpectedCount(string expression, int count) =>
        Assert.Equal(count, EvalFile(expression, "observation-example.json").Count);

    [Fact]
    public void Evaluate_UnionOfSameItems_RemovesDuplicates() =>
        Assert.Single(EvalFile("Observation.subject | Observation.subject", "observation-example.json"));

    [Fact]
    public void Evaluate_PatientDeceasedExpression_ReturnsBoolean()
    {
        var alive = Eval("Patient.deceased.exists() and Patient.deceased != false", """{"resourceType":"Patient","deceasedBoolean":false}""");
        var dead = Eval("Patient.deceased.exists() and Patient.deceased != false", """{"resourceType":"Patient","deceasedDateTime":"2020-01-01"}""");

        Assert.False(Assert.Single(alive).Value.GetBoolean());
        Assert.True(Assert.Single(dead).Value.GetBoolean());
    }

    [Fact]
    public void Evaluate_ResourceLevelExpressionOnAnyType_MatchesContext() =>
        Assert.Equal("2020-01-01T00:00:00Z", Assert.Single(Eval("Resource.meta.lastUpdated", """{"resourceType":"Slot","meta":{"lastUpdated":"2020-01-01T00:00:00Z"}}""")).Value.GetString());

    [Fact]
    public void Evaluate_TypeNameOfOtherResource_ReturnsEmpty() =>
        Assert.Empty(EvalFile("Condition.code", "observation-example.json"));

    [Fact]
    public void Evaluate_CompositeComponents_EvaluateRelativeToEachBaseNode()
    {
        var p = Spec.FindSearchParameter("Observation", "code-value-quantity")!;
        using var doc = TestData.Parse("observation-example.json");

        var bases = p.CompiledExpression!.Evaluate(doc.RootElement, Spec);
        var codes = FhirPathExpression.Parse(p.Components[0].Expression).Evaluate(bases[0], doc.RootElement, Spec);
        var values = FhirPathExpression.Parse(p.Components[1].Expression).Evaluate(bases[0], doc.RootElement, Spec);

        Assert.Equal("CodeableConcept", Assert.Single(codes).TypeName);
        Assert.Equal("Quantity", Assert.Single(values).TypeName);
    }

    [Fact]
    public void Evaluate_BundleFirstEntryResource_YieldsTypedResource()
    {
        var node = Assert.Single(EvalFile("Bundle.entry[0].resource", "diagnosticreport-example-bundle.json"));

        Assert.Equal("DiagnosticReport", node.TypeName);
    }

    [Theory]
    [InlineData("Patient.name.select(given)")]
    [InlineData("Patient.name.where(")]
    [InlineData("Patient.name #")]
    [InlineData("'unterminated")]
    public void Parse_WhenOutsideSubsetOrMalformed_ThrowsSyntaxException(string expression) =>
        Assert.Throws<FhirPathSyntaxException>(() =>
        {
            using var doc = JsonDocument.Parse("""{"resourceType":"Patient","name":[{"given":["a"]}]}""");
            FhirPathExpression.Parse(expression).Evaluate(doc.RootElement, Spec);
        });

    [Fact]
    public void Parse_EveryGeneratedSearchParameterExpression_Succeeds()
    {
        foreach (var type in CarevaultTypes)
        {
            foreach (var p in Spec.GetSearchParameters(type))
            {
                if (p.Expression.Length > 0)
                {
                    Assert.NotNull(p.CompiledExpression);
                }

                foreach (var c in p.Components)
                {
                    FhirPathExpression.Parse(c.Expression);
                }
            }
        }
    }
}
