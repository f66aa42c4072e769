using System.Text;
using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;

namespace Carevault.Fhir.Tests.Validation;

public sealed class FhirValidatorTests
{
    private static ValidationResult Validate(string json, FhirValidatorOptions? options = null) =>
        new FhirValidator(FhirSpec.R4, options).Validate(Encoding.UTF8.GetBytes(json));

    private static ValidationIssue AssertSingleError(string json, IssueType type, string location)
    {
        var result = Validate(json);
        var errors = result.Issues.Where(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal).ToList();
        Assert.True(errors.Count == 1, "expected one error, got:\n" + string.Join("\n", result.Issues));
        Assert.Equal(type, errors[0].Type);
        Assert.Equal(location, errors[0].Location);
        Assert.False(result.IsValid);
        return errors[0];
    }

    private static void AssertValid(string json)
    {
        var result = Validate(json);
        Assert.True(result.IsValid, string.Join("\n", result.Issues));
    }

    // ---- resourceType ----

    [Fact]
    public void Validate_WhenResourceTypeMissing_ReportsRequired() =>
        AssertSingleError("""{"id":"a"}""", IssueType.Required, "resourceType");

    [Fact]
    public void Validate_WhenResourceTypeUnknown_ReportsInvalid() =>
        AssertSingleError("""{"resourceType":"Patientt"}""", IssueType.Invalid, "resourceType");

    [Fact]
    public void Validate_WhenResourceTypeNotAString_ReportsInvalid() =>
        AssertSingleError("""{"resourceType":7}""", IssueType.Invalid, "resourceType");

    [Fact]
    public void Validate_WhenRootIsArray_ReportsStructure() =>
        AssertSingleError("""[]""", IssueType.Structure, string.Empty);

    [Fact]
    public void Validate_WhenR4TypeOutsideTables_ReportsInformationOnly()
    {
        var result = Validate("""{"resourceType":"Claim","anything":1}""");

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueSeverity.Information, issue.Severity);
        Assert.Equal(IssueType.NotSupported, issue.Type);
        Assert.True(result.IsValid);
    }

    [Fact]
    public void Validate_WhenMinimalPatient_IsValid() => AssertValid("""{"resourceType":"Patient"}""");

    // ---- unknown elements ----

    [Fact]
    public void Validate_WhenUnknownTopLevelElement_ReportsStructureAtIt() =>
        AssertSingleError("""{"resourceType":"Patient","nickname":"x"}""", IssueType.Structure, "Patient.nickname");

    [Fact]
    public void Validate_WhenUnknownElementInDatatype_ReportsStructureWithIndex() =>
        AssertSingleError("""{"resourceType":"Patient","name":[{"family":"a"},{"family":"b","middle":"c"}]}""", IssueType.Structure, "Patient.name[1].middle");

    [Fact]
    public void Validate_WhenUnknownElementInBackbone_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","contact":[{"nickname":"x"}]}""", IssueType.Structure, "Patient.contact[0].nickname");

    [Fact]
    public void Validate_WhenBackboneHasModifierExtension_IsValid() =>
        AssertValid("""{"resourceType":"Patient","contact":[{"modifierExtension":[{"url":"http://x.org/e","valueBoolean":true}],"gender":"male"}]}""");

    [Fact]
    public void Validate_WhenDuplicateProperty_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","active":true,"active":false}""", IssueType.Structure, "Patient.active");

    [Fact]
    public void Validate_WhenEmptyObject_ReportsEle1Invariant() =>
        AssertSingleError("""{"resourceType":"Patient","name":[{}]}""", IssueType.Invariant, "Patient.name[0]");

    // ---- cardinality ----

    [Fact]
    public void Validate_WhenRequiredElementMissing_ReportsRequiredAtElement() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final"}""", IssueType.Required, "Observation.code");

    [Fact]
    public void Validate_WhenRequiredElementInBackboneMissing_ReportsRequiredWithPath() =>
        AssertSingleError("""{"resourceType":"Patient","link":[{"type":"seealso"}]}""", IssueType.Required, "Patient.link[0].other");

    [Fact]
    public void Validate_WhenRequiredChoiceMissing_ReportsRequiredAtChoiceName() =>
        AssertSingleError("""{"resourceType":"Medication","ingredient":[{"strength":{"numerator":{"value":1}}}]}""", IssueType.Required, "Medication.ingredient[0].item");

    [Fact]
    public void Validate_WhenSingleElementGivenAsArray_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","gender":["male"]}""", IssueType.Structure, "Patient.gender");

    [Fact]
    public void Validate_WhenRepeatingElementGivenAsObject_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","name":{"family":"a"}}""", IssueType.Structure, "Patient.name");

    [Fact]
    public void Validate_WhenArrayEmpty_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","name":[]}""", IssueType.Structure, "Patient.name");

    [Fact]
    public void Validate_WhenNullValue_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","active":null}""", IssueType.Structure, "Patient.active");

    [Fact]
    public void Validate_WhenComplexElementIsString_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","maritalStatus":"M"}""", IssueType.Structure, "Patient.maritalStatus");

    [Fact]
    public void Validate_WhenMoreItemsThanNumericMax_ReportsStructure()
    {
        // No element of the 28 types has a numeric max above 1, so this uses a hand-made table.
        var spec = FhirSpec.Parse("R\tResource\t-\t1\ne\tid\t0\t1\tid\nR\tThing\tResource\t0\ne\tpair\t0\t2\tstring\nN\tThing\n"u8);
        var result = new FhirValidator(spec).Validate("""{"resourceType":"Thing","pair":["a","b","c"]}"""u8.ToArray());

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueType.Structure, issue.Type);
        Assert.Equal("Thing.pair", issue.Location);
        Assert.Equal(2, spec.FindElement("Thing.pair")!.MaxCount);
    }

    // ---- primitive formats (regexes of the R4 spec) ----

    [Theory]
    [InlineData("""{"resourceType":"Patient","id":"has space"}""", "Patient.id")]
    [InlineData("""{"resourceType":"Patient","id":"a234567890123456789012345678901234567890123456789012345678901234X"}""", "Patient.id")]
    [InlineData("""{"resourceType":"Patient","implicitRules":"not a uri"}""", "Patient.implicitRules")]
    [InlineData("""{"resourceType":"Patient","language":"en  US"}""", "Patient.language")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1974-12-25T10:00:00Z"}""", "Patient.birthDate")]
    [InlineData("""{"resourceType":"Patient","birthDate":"2019-02-30"}""", "Patient.birthDate")]
    [InlineData("""{"resourceType":"Patient","deceasedDateTime":"2015-02-07T13:28"}""", "Patient.deceased.ofType(dateTime)")]
    [InlineData("""{"resourceType":"Patient","deceasedDateTime":"2015-02-07T13:28:17"}""", "Patient.deceased.ofType(dateTime)")]
    [InlineData("""{"resourceType":"Patient","meta":{"lastUpdated":"2015-02-07"}}""", "Patient.meta.lastUpdated")]
    [InlineData("""{"resourceType":"Patient","active":"true"}""", "Patient.active")]
    [InlineData("""{"resourceType":"Patient","multipleBirthInteger":1.5}""", "Patient.multipleBirth.ofType(integer)")]
    [InlineData("""{"resourceType":"Patient","multipleBirthInteger":"2"}""", "Patient.multipleBirth.ofType(integer)")]
    [InlineData("""{"resourceType":"Patient","multipleBirthInteger":2147483648}""", "Patient.multipleBirth.ofType(integer)")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueQuantity":{"value":"1.5"}}""", "Observation.value.ofType(Quantity).value")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueTime":"24:00:00"}""", "Observation.value.ofType(time)")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueSampledData":{"origin":{"value":0},"period":1,"dimensions":0}}""", "Observation.value.ofType(SampledData).dimensions")]
    [InlineData("""{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"size":-1}}]}""", "DocumentReference.content[0].attachment.size")]
    [InlineData("""{"resourceType":"Binary","contentType":"text/plain","data":"abc"}""", "Binary.data")]
    [InlineData("""{"resourceType":"Binary","contentType":"text/plain","data":"ab$d"}""", "Binary.data")]
    [InlineData("""{"resourceType":"Patient","extension":[{"url":"http://x.org/e","valueOid":"1.2.3"}]}""", "Patient.extension[0].value.ofType(oid)")]
    [InlineData("""{"resourceType":"Patient","extension":[{"url":"http://x.org/e","valueUuid":"urn:uuid:6FC92493-6BEF-402A-BBBA-D949F3812CC8"}]}""", "Patient.extension[0].value.ofType(uuid)")]
    [InlineData("""{"resourceType":"Patient","name":[{"given":["a",""]}]}""", "Patient.name[0].given[1]")]
    [InlineData("""{"resourceType":"Patient","text":{"status":"generated","div":"<p>x</p>"}}""", "Patient.text.div")]
    [InlineData("""{"resourceType":"Patient","name":[{"family":"a\u0001b"}]}""", "Patient.name[0].family")]
    public void Validate_WhenPrimitiveMalformed_ReportsValueAtLocation(string json, string location)
    {
        var issue = AssertSingleError(json, IssueType.Value, location);

        Assert.DoesNotContain("has space", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","birthDate":"1974"}""")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1974-12"}""")]
    [InlineData("""{"resourceType":"Patient","deceasedDateTime":"2015-02-07T13:28:17.239+02:00"}""")]
    [InlineData("""{"resourceType":"Patient","meta":{"lastUpdated":"2015-02-07T13:28:17Z"}}""")]
    [InlineData("""{"resourceType":"Patient","multipleBirthInteger":-3}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueQuantity":{"value":1.50e2}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueTime":"23:59:60.5"}""")]
    [InlineData("""{"resourceType":"Binary","contentType":"text/plain","data":"aGVs bG8="}""")]
    [InlineData("""{"resourceType":"Patient","extension":[{"url":"http://x.org/e","valueOid":"urn:oid:1.2.3"}]}""")]
    [InlineData("""{"resourceType":"Patient","extension":[{"url":"http://x.org/e","valueUuid":"urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8"}]}""")]
    public void Validate_WhenPrimitiveWellFormed_IsValid(string json) => AssertValid(json);

    // ---- required bindings ----

    [Fact]
    public void Validate_WhenCodeNotInRequiredValueSet_ReportsCodeInvalid()
    {
        var issue = AssertSingleError("""{"resourceType":"Patient","gender":"SECRET"}""", IssueType.CodeInvalid, "Patient.gender");

        Assert.Contains("http://hl7.org/fhir/ValueSet/administrative-gender", issue.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenCodeableConceptCodingOutsideRequiredValueSet_ReportsCodeInvalid() =>
        AssertSingleError(
            """{"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"cured"}]}}""",
            IssueType.CodeInvalid, "Condition.clinicalStatus");

    [Fact]
    public void Validate_WhenCodeableConceptHasOneMatchingCoding_IsValid() =>
        AssertValid("""{"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":{"coding":[{"system":"http://x.org","code":"x"},{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}""");

    [Fact]
    public void Validate_WhenCodingSystemWrongForRequiredBinding_ReportsCodeInvalid() =>
        AssertSingleError(
            """{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2020-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"reference":"Device/1"}},"purposeOfEvent":[{"text":"x"}],"entity":[{"what":{"reference":"Patient/1"}}],"outcome":"99"}""",
            IssueType.CodeInvalid, "AuditEvent.outcome");

    // ---- references ----

    [Fact]
    public void Validate_WhenReferenceTargetTypeNotAllowed_ReportsStructureAtReference() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Medication/123"}}""", IssueType.Structure, "Observation.subject.reference");

    [Fact]
    public void Validate_WhenReferenceTypeElementNotAllowed_ReportsStructureAtType() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"type":"Medication","identifier":{"value":"1"}}}""", IssueType.Structure, "Observation.subject.type");

    [Fact]
    public void Validate_WhenReferenceMalformed_ReportsValue() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Patient"}}""", IssueType.Value, "Observation.subject.reference");

    [Fact]
    public void Validate_WhenReferenceNamesUnknownType_ReportsValue() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Alien/1"}}""", IssueType.Value, "Observation.subject.reference");

    [Fact]
    public void Validate_WhenUrnUuidMalformed_ReportsValue() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"urn:uuid:not-a-uuid"}}""", IssueType.Value, "Observation.subject.reference");

    [Theory]
    [InlineData("Patient/123")]
    [InlineData("Patient/123/_history/2")]
    [InlineData("http://example.org/fhir/Patient/123")]
    [InlineData("https://example.org/fhir/Group/g.1/_history/1")]
    [InlineData("urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8")]
    [InlineData("http://example.org/not-fhir/thing")]
    [InlineData("Patient?identifier=http://x.org|1")]
    public void Validate_WhenReferenceFormAllowed_IsValid(string reference) =>
        AssertValid($$$"""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"{{{reference}}}"}}""");

    [Fact]
    public void Validate_WhenReferenceTargetIsAnyResource_AcceptsAnyType() =>
        AssertValid("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"focus":[{"reference":"Claim/1"}]}""");

    // ---- contained resources ----

    private const string ContainedOrg = """{"resourceType":"Organization","id":"org1","name":"x"}""";

    [Fact]
    public void Validate_WhenContainedReferenced_IsValid() =>
        AssertValid($$$"""{"resourceType":"Patient","contained":[{{{ContainedOrg}}}],"managingOrganization":{"reference":"#org1"}}""");

    [Fact]
    public void Validate_WhenContainedNotReferenced_ReportsDom3AtContained() =>
        AssertSingleError($$$"""{"resourceType":"Patient","contained":[{{{ContainedOrg}}}]}""", IssueType.Invariant, "Patient.contained[0]");

    [Fact]
    public void Validate_WhenContainedReferencesContainer_IsValid() =>
        AssertValid("""{"resourceType":"Patient","id":"p","contained":[{"resourceType":"Observation","id":"o","status":"final","code":{"text":"t"},"subject":{"reference":"#"}}]}""");

    [Fact]
    public void Validate_WhenContainedReferencedByCanonical_IsValid() =>
        AssertValid("""{"resourceType":"Questionnaire","status":"active","contained":[{"resourceType":"ValueSet","id":"vs1","status":"active"}],"item":[{"linkId":"1","type":"choice","answerValueSet":"#vs1"}]}""");

    [Fact]
    public void Validate_WhenContainedHasContained_ReportsDom2() =>
        AssertSingleError(
            """{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org1","contained":[{"resourceType":"Organization","id":"org2","name":"y"}],"partOf":{"reference":"#org2"}}],"managingOrganization":{"reference":"#org1"}}""",
            IssueType.Invariant, "Patient.contained[0].contained");

    [Fact]
    public void Validate_WhenContainedHasVersionId_ReportsDom4() =>
        AssertSingleError(
            """{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org1","meta":{"versionId":"1"}}],"managingOrganization":{"reference":"#org1"}}""",
            IssueType.Invariant, "Patient.contained[0].meta.versionId");

    [Fact]
    public void Validate_WhenContainedHasLastUpdated_ReportsDom4() =>
        AssertSingleError(
            """{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org1","meta":{"lastUpdated":"2020-01-01T00:00:00Z"}}],"managingOrganization":{"reference":"#org1"}}""",
            IssueType.Invariant, "Patient.contained[0].meta.lastUpdated");

    [Fact]
    public void Validate_WhenLocalReferenceUnresolved_ReportsRef1AtReference() =>
        AssertSingleError("""{"resourceType":"Patient","managingOrganization":{"reference":"#nowhere"}}""", IssueType.Invariant, "Patient.managingOrganization.reference");

    [Fact]
    public void Validate_WhenContainedTargetHasWrongType_ReportsStructure() =>
        AssertSingleError(
            """{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"pr1"}],"managingOrganization":{"reference":"#pr1"}}""",
            IssueType.Structure, "Patient.managingOrganization.reference");

    [Fact]
    public void Validate_WhenContainedContentInvalid_ReportsLocationInsideContained() =>
        AssertSingleError(
            """{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org1","active":"yes"}],"managingOrganization":{"reference":"#org1"}}""",
            IssueType.Value, "Patient.contained[0].active");

    // ---- choice types ----

    [Fact]
    public void Validate_WhenTwoChoicesOfSameElement_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020-01-01"}""", IssueType.Structure, "Patient.deceased.ofType(dateTime)");

    [Fact]
    public void Validate_WhenChoiceTypeNotAllowed_ReportsUnknownElement() =>
        AssertSingleError("""{"resourceType":"Patient","deceasedString":"yes"}""", IssueType.Structure, "Patient.deceasedString");

    [Fact]
    public void Validate_WhenChoiceUsesComplexType_ValidatesThatType() =>
        AssertSingleError("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valuePeriod":{"start":"2020-13-01"}}""", IssueType.Value, "Observation.value.ofType(Period).start");

    // ---- _element siblings of primitives ----

    [Fact]
    public void Validate_WhenPrimitiveHasExtensionSibling_IsValid() =>
        AssertValid("""{"resourceType":"Patient","birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]}}""");

    [Fact]
    public void Validate_WhenOnlyExtensionSiblingPresent_SatisfiesRequired() =>
        AssertValid("""{"resourceType":"Observation","_status":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},"code":{"text":"t"}}""");

    [Fact]
    public void Validate_WhenExtensionSiblingHasUnknownProperty_ReportsStructureAtPrimitive() =>
        AssertSingleError("""{"resourceType":"Patient","birthDate":"1974-12-25","_birthDate":{"value":"x"}}""", IssueType.Structure, "Patient.birthDate.value");

    [Fact]
    public void Validate_WhenExtensionSiblingInvalid_ReportsLocationUnderPrimitive() =>
        AssertSingleError("""{"resourceType":"Patient","birthDate":"1974-12-25","_birthDate":{"extension":[{"valueBoolean":true}]}}""", IssueType.Required, "Patient.birthDate.extension[0].url");

    [Fact]
    public void Validate_WhenSiblingOfComplexElement_ReportsUnknownElement() =>
        AssertSingleError("""{"resourceType":"Patient","_name":[{"id":"a"}]}""", IssueType.Structure, "Patient._name");

    [Fact]
    public void Validate_WhenArrayNullMatchedBySibling_IsValid() =>
        AssertValid("""{"resourceType":"Patient","name":[{"given":["Jim",null],"_given":[null,{"id":"g2","extension":[{"url":"http://x.org/e","valueString":"s"}]}]}]}""");

    [Fact]
    public void Validate_WhenArrayNullWithoutSibling_ReportsStructureAtItem() =>
        AssertSingleError("""{"resourceType":"Patient","name":[{"given":["Jim",null]}]}""", IssueType.Structure, "Patient.name[0].given[1]");

    [Fact]
    public void Validate_WhenSiblingArrayLengthDiffers_ReportsStructure() =>
        AssertSingleError("""{"resourceType":"Patient","name":[{"given":["Jim"],"_given":[null,{"id":"x"}]}]}""", IssueType.Structure, "Patient.name[0].given");

    // ---- invariants on extensions ----

    [Fact]
    public void Validate_WhenExtensionHasValueAndExtensions_ReportsExt1() =>
        AssertSingleError("""{"resourceType":"Patient","extension":[{"url":"http://x.org/e","valueString":"a","extension":[{"url":"b","valueString":"c"}]}]}""", IssueType.Invariant, "Patient.extension[0]");

    // ---- bundles ----

    [Fact]
    public void Validate_WhenBundleEntryResourceInvalid_ReportsLocationThroughEntry() =>
        AssertSingleError("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Patient","gender":"x"}}]}""", IssueType.CodeInvalid, "Bundle.entry[1].resource.gender");

    [Fact]
    public void Validate_WhenBundleEntryResourceTypeUnknown_ReportsAtEntryResourceType() =>
        AssertSingleError("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Nope"}}]}""", IssueType.Invalid, "Bundle.entry[0].resource.resourceType");

    [Fact]
    public void Validate_WhenQuestionnaireItemNested_UsesContentReference() =>
        AssertSingleError("""{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"bogus"}]}]}""", IssueType.CodeInvalid, "Questionnaire.item[0].item[0].type");

    // ---- limits ----

    [Fact]
    public void Validate_WhenLargerThanMaxBytes_ReportsTooCostly()
    {
        var result = Validate("""{"resourceType":"Patient","active":true}""", new FhirValidatorOptions { MaxBytes = 10 });

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueType.TooCostly, issue.Type);
        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
    }

    [Fact]
    public void Validate_WhenNestedDeeperThanMaxDepth_ReportsTooCostlyAtLocation()
    {
        // depth: resource 1, name array 2, HumanName 3, period 4
        var result = Validate("""{"resourceType":"Patient","name":[{"period":{"start":"2020"}}]}""", new FhirValidatorOptions { MaxDepth = 3 });

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueType.TooCostly, issue.Type);
        Assert.Equal("Patient.name[0].period", issue.Location);
    }

    [Fact]
    public void Validate_WhenJsonFarDeeperThanMaxDepth_ReportsTooCostlyParseError()
    {
        string json = """{"resourceType":"Patient","extension":[""" + string.Concat(Enumerable.Repeat("""{"url":"u","extension":[""", 40)) + new string(']', 1) + string.Concat(Enumerable.Repeat("}]", 40)) + "}";

        var result = Validate(json, new FhirValidatorOptions { MaxDepth = 10 });

        var issue = Assert.Single(result.Issues);
        Assert.Equal(IssueType.TooCostly, issue.Type);
        Assert.Equal(string.Empty, issue.Location);
    }

    [Fact]
    public void Validate_WhenMoreIssuesThanMaxIssues_StopsWithTooCostlyWarning()
    {
        var result = Validate("""{"resourceType":"Patient","a":1,"b":2,"c":3,"d":4}""", new FhirValidatorOptions { MaxIssues = 2 });

        Assert.Equal(3, result.Issues.Count);
        Assert.Equal(IssueType.TooCostly, result.Issues[2].Type);
    }

    [Fact]
    public void Validate_WhenBytesAreNotUtf8_ReportsFatalStructure()
    {
        byte[] bytes = [.. "{\"resourceType\":\"Patient\",\"gender\":\""u8, 0xD4, .. "\"}"u8];

        var issue = Assert.Single(new FhirValidator(FhirSpec.R4).Validate(bytes).Issues);

        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.Structure, issue.Type);
    }

    [Fact]
    public void Validate_WhenStringHasUnpairedSurrogateEscape_ReportsFatalStructure()
    {
        var issue = Assert.Single(Validate("""{"resourceType":"Patient","name":[{"family":"a\uD800b"}]}""").Issues);

        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.Structure, issue.Type);
    }

    // ---- privacy ----

    [Fact]
    public void Validate_WhenValuesInvalid_DiagnosticsNeverContainTheValues()
    {
        var result = Validate("""
            {"resourceType":"Patient","id":"SECRET 1","gender":"SECRET2","birthDate":"SECRET3","active":"SECRET4",
             "managingOrganization":{"reference":"SECRET5"},"telecom":[{"system":"SECRET6"}],
             "contained":[{"resourceType":"Organization","id":"SECRET7","name":"n"}]}
            """);

        Assert.True(result.Issues.Count >= 7, string.Join("\n", result.Issues));
        foreach (var issue in result.Issues)
        {
            Assert.DoesNotContain("SECRET", issue.Diagnostics, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRET", issue.Location, StringComparison.Ordinal);
        }
    }
}
