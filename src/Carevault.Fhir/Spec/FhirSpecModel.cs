namespace Carevault.Fhir.Spec;

/// <summary>Whether a definition describes a resource or a complex datatype.</summary>
public enum FhirTypeKind
{
    /// <summary>A resource (including the abstract Resource and DomainResource).</summary>
    Resource,

    /// <summary>A complex datatype such as HumanName or Quantity.</summary>
    ComplexType,
}

/// <summary>One allowed type of an element, with the resource types a Reference may point to.</summary>
/// <param name="Code">FHIR type name (<c>string</c>, <c>Quantity</c>, <c>Reference</c>, <c>BackboneElement</c>…).</param>
/// <param name="TargetTypes">For <c>Reference</c>: allowed target resource types; empty means any resource.</param>
public sealed record FhirElementType(string Code, IReadOnlyList<string> TargetTypes);

/// <summary>A child of an object context as it appears in JSON: the element and, for choice elements, the chosen type.</summary>
/// <param name="JsonName">Property name in JSON (<c>valueQuantity</c> for the choice <c>value[x]</c>).</param>
/// <param name="Element">The element definition.</param>
/// <param name="Type">The type the JSON name selects (the only type for non-choice elements).</param>
public sealed record FhirChild(string JsonName, FhirElementDefinition Element, FhirElementType Type);

/// <summary>An element definition from a StructureDefinition snapshot (R4).</summary>
public sealed class FhirElementDefinition
{
    private IReadOnlyDictionary<string, FhirChild>? _children;

    internal FhirElementDefinition(string path, int min, string max, IReadOnlyList<FhirElementType> types, string? valueSetKey)
    {
        Path = path;
        Min = min;
        Max = max;
        Types = types;
        ValueSetKey = valueSetKey;
        int dot = path.LastIndexOf('.');
        Name = dot < 0 ? path : path[(dot + 1)..];
        IsChoice = Name.EndsWith("[x]", StringComparison.Ordinal);
        MaxCount = max == "*" ? int.MaxValue : int.Parse(max, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Full path, e.g. <c>Patient.contact.name</c> or <c>Observation.value[x]</c>.</summary>
    public string Path { get; }

    /// <summary>Last path segment (<c>value[x]</c> for choices).</summary>
    public string Name { get; }

    /// <summary>Minimum cardinality.</summary>
    public int Min { get; }

    /// <summary>Maximum cardinality as in the definition: a number or <c>*</c>.</summary>
    public string Max { get; }

    /// <summary>Maximum cardinality as a number (<see cref="int.MaxValue"/> for <c>*</c>).</summary>
    public int MaxCount { get; }

    /// <summary>True when the element repeats, so its JSON form is an array.</summary>
    public bool IsArray => Max != "1" && Max != "0";

    /// <summary>True for <c>[x]</c> choice elements.</summary>
    public bool IsChoice { get; }

    /// <summary>Allowed types (several for a choice).</summary>
    public IReadOnlyList<FhirElementType> Types { get; }

    /// <summary>Key of the required-strength value set bound to this element, if any (see <see cref="FhirSpec.GetValueSet"/>).</summary>
    public string? ValueSetKey { get; }

    /// <summary>Marked isSummary in the base definition: kept by <c>_summary=true</c> (search.html#summary).</summary>
    public bool IsSummary { get; internal set; }

    /// <summary>For <c>contentReference</c> elements (e.g. Questionnaire.item.item): the element whose children this one reuses.</summary>
    public FhirElementDefinition? ContentReference { get; internal set; }

    /// <summary>Children by JSON name when this is a backbone element (defines its own structure); otherwise null.</summary>
    public IReadOnlyDictionary<string, FhirChild>? Children => ContentReference?.Children ?? _children;

    internal Dictionary<string, FhirChild>? MutableChildren => (Dictionary<string, FhirChild>?)_children;

    internal void EnsureChildren() => _children ??= new Dictionary<string, FhirChild>(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Path;
}

/// <summary>A resource or complex datatype: its own and inherited elements, addressable by JSON name.</summary>
public sealed class FhirTypeDefinition
{
    internal FhirTypeDefinition(string name, FhirTypeKind kind, string? baseName, bool isAbstract)
    {
        Name = name;
        Kind = kind;
        BaseName = baseName;
        IsAbstract = isAbstract;
    }

    /// <summary>Type name (<c>Patient</c>, <c>HumanName</c>).</summary>
    public string Name { get; }

    /// <summary>Resource or complex datatype.</summary>
    public FhirTypeKind Kind { get; }

    /// <summary>Base type name (<c>DomainResource</c>, <c>Element</c>), null for the roots.</summary>
    public string? BaseName { get; }

    /// <summary>True for Resource, DomainResource, Element, BackboneElement…</summary>
    public bool IsAbstract { get; }

    /// <summary>The type's own elements at every depth (backbone children included), in definition order; inherited ones are in <see cref="Children"/>.</summary>
    public IReadOnlyList<FhirElementDefinition> Elements => ElementList;

    /// <summary>Top-level children by JSON name, inherited ones included.</summary>
    public IReadOnlyDictionary<string, FhirChild> Children => ChildMap;

    internal List<FhirElementDefinition> ElementList { get; } = [];

    internal Dictionary<string, FhirChild> ChildMap { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The FHIR search parameter types.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Member names are the FHIR search-param-type codes.")]
public enum SearchParamType
{
    /// <summary>number</summary>
    Number,
    /// <summary>date</summary>
    Date,
    /// <summary>string</summary>
    String,
    /// <summary>token</summary>
    Token,
    /// <summary>reference</summary>
    Reference,
    /// <summary>composite</summary>
    Composite,
    /// <summary>quantity</summary>
    Quantity,
    /// <summary>uri</summary>
    Uri,
    /// <summary>special</summary>
    Special,
}

/// <summary>One component of a composite search parameter.</summary>
/// <param name="Code">Code of the search parameter the component uses (e.g. <c>code</c>).</param>
/// <param name="Expression">FHIRPath relative to each node the composite's expression selects.</param>
public sealed record FhirSearchComponent(string Code, string Expression);

/// <summary>A search parameter of one resource type (the expression holds only that type's part of a shared parameter).</summary>
public sealed class FhirSearchParameter
{
    private FhirPath.FhirPathExpression? _compiled;

    internal FhirSearchParameter(string baseType, string code, SearchParamType type, string expression, IReadOnlyList<string> targets, IReadOnlyList<FhirSearchComponent> components)
    {
        BaseType = baseType;
        Code = code;
        Type = type;
        Expression = expression;
        Targets = targets;
        Components = components;
    }

    /// <summary>Resource type the parameter is defined on (<c>Resource</c> and <c>DomainResource</c> for the common ones).</summary>
    public string BaseType { get; }

    /// <summary>The search code (<c>name</c>, <c>patient</c>…).</summary>
    public string Code { get; }

    /// <summary>Parameter type.</summary>
    public SearchParamType Type { get; }

    /// <summary>FHIRPath expression; empty for parameters without one (e.g. <c>_text</c>, <c>_content</c>).</summary>
    public string Expression { get; }

    /// <summary>Reference targets (<c>Resource</c> means any).</summary>
    public IReadOnlyList<string> Targets { get; }

    /// <summary>Composite components, empty otherwise.</summary>
    public IReadOnlyList<FhirSearchComponent> Components { get; }

    /// <summary>The parsed expression, or null when <see cref="Expression"/> is empty.</summary>
    public FhirPath.FhirPathExpression? CompiledExpression =>
        Expression.Length == 0 ? null : _compiled ??= FhirPath.FhirPathExpression.Parse(Expression);

    /// <inheritdoc/>
    public override string ToString() => BaseType + "." + Code;
}

/// <summary>A required-strength value set, expanded at generation time.</summary>
public sealed class FhirValueSet
{
    internal FhirValueSet(string key, IReadOnlyDictionary<string, HashSet<string>> codesBySystem)
    {
        Key = key;
        CodesBySystem = codesBySystem;
        var all = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in codesBySystem.Values)
        {
            all.UnionWith(set);
        }

        AllCodes = all;
    }

    /// <summary>Key (last segment of the canonical URL, e.g. <c>administrative-gender</c>).</summary>
    public string Key { get; }

    /// <summary>Canonical URL <c>http://hl7.org/fhir/ValueSet/{Key}</c>.</summary>
    public string Url => "http://hl7.org/fhir/ValueSet/" + Key;

    /// <summary>Codes by code system URL.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> CodesBySystem { get; }

    internal HashSet<string> AllCodes { get; }

    /// <summary>True when <paramref name="code"/> is in the value set (any system) — the rule for <c>code</c> elements.</summary>
    public bool ContainsCode(string code) => AllCodes.Contains(code);

    /// <summary>True when the system/code pair is in the value set — the rule for Coding.</summary>
    public bool Contains(string system, string code) => CodesBySystem.TryGetValue(system, out var set) && set.Contains(code);
}
