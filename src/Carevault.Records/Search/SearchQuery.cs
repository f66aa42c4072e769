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

    /// <summary>Parameters this server ignored (lenient handling), for the OperationOutcome in the Bundle.</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];
}

/// <summary>One page of search results; <see cref="NextAfter"/> continues the search when more results exist.</summary>
public sealed record SearchPage(IReadOnlyList<StoredResource> Resources, string? NextAfter, long? Total);
