using Carevault.Fhir.Spec;
using Carevault.Records.Store;

namespace Carevault.Records.Search;

/// <summary>_total: none (the default here: counting costs a second query) or accurate (FHIR R4 search.html#total).</summary>
public enum SearchTotal { None, Accurate }

/// <summary>Comparison prefixes of number, date and quantity values (FHIR R4 search.html#prefix).</summary>
public enum SearchPrefix { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap }

/// <summary>One parsed value of a criterion; the values of one criterion are ORed.</summary>
public abstract record SearchValue;
public sealed record IdValue(string Id) : SearchValue;
/// <param name="System">null: any system; "": no system (<c>|code</c>).</param>
/// <param name="Code">null: any code (<c>system|</c>).</param>
public sealed record TokenValue(string? System, string? Code) : SearchValue;
public sealed record StringValue(string Text) : SearchValue;
public sealed record DateValue(SearchPrefix Prefix, FhirDateRange Range) : SearchValue;
/// <param name="Type">null when the value names no type (a bare id).</param>
public sealed record ReferenceValue(string? Type, string Id) : SearchValue;
/// <param name="Low">Lower bound implied by the value's precision (for eq/ne/ap).</param>
/// <param name="High">Upper bound (exclusive) implied by the precision.</param>
public sealed record NumberValue(SearchPrefix Prefix, double Value, double Low, double High, string? System, string? Code) : SearchValue;
public sealed record UriValue(string Uri) : SearchValue;
public sealed record MissingValue(bool Missing) : SearchValue;
/// <summary>A composite's value <c>token$value</c> (search.html#composite); <paramref name="Second"/> is a NumberValue or TokenValue.</summary>
public sealed record CompositeValue(TokenValue First, SearchValue Second) : SearchValue;
/// <summary><c>:text</c> on a token: the text of a CodeableConcept or the display of a Coding, matched like a string.</summary>
public sealed record TokenTextValue(string Text) : SearchValue;
/// <summary>One level of chaining (search.html#chaining): the reference points at a <paramref name="TargetType"/> matching <paramref name="Inner"/>.</summary>
public sealed record ChainValue(string TargetType, SearchCriterion Inner) : SearchValue;
/// <summary>
/// Reverse chaining, one level (search.html#has): <c>_has:SourceType:referenceParam:param=value</c> matches the
/// resources some current <paramref name="SourceType"/> resource references by <paramref name="ReferenceParam"/>
/// while matching <paramref name="Inner"/>.
/// </summary>
public sealed record HasValue(string SourceType, string ReferenceParam, SearchCriterion Inner) : SearchValue;

/// <summary>
/// <c>_include</c> / <c>_revinclude</c> (search.html#include): <c>SourceType:Param[:TargetType]</c>.
/// Include: the resources the page's <paramref name="SourceType"/> resources reference by <paramref name="Param"/>;
/// revinclude: the <paramref name="SourceType"/> resources whose <paramref name="Param"/> references a page resource.
/// <paramref name="Iterate"/> applies it once more to what the others included (one level).
/// </summary>
public sealed record IncludeDirective(bool Reverse, string SourceType, string Param, string? TargetType, bool Iterate);

/// <summary>One <c>_sort</c> key: <c>_id</c>, <c>_lastUpdated</c> or an indexed parameter, ascending unless <paramref name="Descending"/>.</summary>
public sealed record SortKey(string Code, bool Descending, SearchParamType Type);

/// <summary>One <c>name[:modifier]=v1,v2</c> of a search.</summary>
/// <param name="Parameter">The spec parameter; null for <c>_id</c> and <c>_lastUpdated</c>, which are columns.</param>
public sealed record SearchCriterion(string Code, string? Modifier, SearchParamType Type, FhirSearchParameter? Parameter, IReadOnlyList<SearchValue> Values, string RawName, string RawValue);

/// <summary>A parsed search: criteria (ANDed), page size, keyset cursor and total mode.</summary>
public sealed record SearchQuery
{
    public required string ResourceType { get; init; }
    public required IReadOnlyList<SearchCriterion> Criteria { get; init; }
    public int Count { get; init; } = SearchQueryParser.DefaultCount;

    /// <summary>Continue after this id (results are in id order, which is creation order).</summary>
    public string? After { get; init; }

    public SearchTotal Total { get; init; }

    /// <summary><c>_summary=count</c>: the total alone.</summary>
    public bool SummaryCount { get; init; }

    /// <summary>Patients whose compartment every result must be in (compartment searches, access confinement; see SearchSql.Compartment.cs).</summary>
    public IReadOnlyList<string> PatientCompartments { get; init; } = [];

    /// <summary>_include and _revinclude directives.</summary>
    public IReadOnlyList<IncludeDirective> Includes { get; init; } = [];

    /// <summary>_sort keys; empty: id order.</summary>
    public IReadOnlyList<SortKey> Sort { get; init; } = [];

    /// <summary>With <see cref="Sort"/>: the sort values and id of the last row of the previous page.</summary>
    public IReadOnlyList<object>? SortAfter { get; init; }

    /// <summary>_summary=true|text|data: the part of each resource to return; null: all (or <see cref="SummaryCount"/>).</summary>
    public SummaryMode? Summary { get; init; }

    /// <summary>_elements: the top-level elements to return (plus id, meta and mandatory ones); null: all.</summary>
    public IReadOnlyList<string>? Elements { get; init; }

    /// <summary>The other resource types the criteria look into (chain targets, <c>_has</c> sources): the caller must be allowed to search them.</summary>
    public IEnumerable<string> ReachedTypes() => Criteria.SelectMany(Reached).Distinct(StringComparer.Ordinal);

    static IEnumerable<string> Reached(SearchCriterion criterion) => criterion.Values.SelectMany(v => v switch
    {
        ChainValue chain => [chain.TargetType, .. Reached(chain.Inner)],
        HasValue has => [has.SourceType, .. Reached(has.Inner)],
        _ => Enumerable.Empty<string>(),
    });

    /// <summary>Parameters this server ignored (lenient handling), for the OperationOutcome in the Bundle.</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];
}

/// <summary>One page of search results; <see cref="NextAfter"/> continues the search when more results exist.</summary>
/// <param name="NextAfter">The cursor of the next page: the last id, or with _sort the encoded sort values and id.</param>
/// <param name="Included">Resources added by _include/_revinclude (search mode "include").</param>
public sealed record SearchPage(IReadOnlyList<StoredResource> Resources, string? NextAfter, long? Total)
{
    public IReadOnlyList<StoredResource> Included { get; init; } = [];
}
