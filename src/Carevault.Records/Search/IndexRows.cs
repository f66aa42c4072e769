namespace Carevault.Records.Search;

public sealed record TokenRow(string Param, string System, string Code);
public sealed record StringRow(string Param, string Normalized, string Exact);
public sealed record DateRow(string Param, long Low, long High);
public sealed record ReferenceRow(string Param, string TargetType, string TargetId);
public sealed record QuantityRow(string Param, string System, string Code, double Value);
public sealed record UriRow(string Param, string Value);

/// <summary>The search-index rows extracted from one resource version, one list per index table.</summary>
public sealed class IndexRows
{
    public List<TokenRow> Tokens { get; } = [];
    public List<StringRow> Strings { get; } = [];
    public List<DateRow> Dates { get; } = [];
    public List<ReferenceRow> References { get; } = [];
    public List<QuantityRow> Quantities { get; } = [];
    public List<UriRow> Uris { get; } = [];

    public int Count => Tokens.Count + Strings.Count + Dates.Count + References.Count + Quantities.Count + Uris.Count;
}
