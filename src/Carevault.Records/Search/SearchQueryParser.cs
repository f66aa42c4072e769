using System.Globalization;
using Carevault.Fhir;
using Carevault.Fhir.Spec;
using Carevault.Records.Store;

namespace Carevault.Records.Search;

/// <summary>
/// Parses search parameters (FHIR R4 search.html) against the spec's SearchParameters. Unknown or unsupported
/// parameters fail the search under <c>Prefer: handling=strict</c> and are ignored (and reported) under lenient.
/// Syntax errors in a known parameter always fail: a search must never silently widen.
/// </summary>
public sealed class SearchQueryParser(FhirSpec spec)
{
    public const int DefaultCount = 20;
    public const int MaxCount = 1000;

    /// <summary>Paging cursor parameter of the next links (a resource id; results are in id order).</summary>
    public const string CursorParameter = "_cursor";

    static readonly HashSet<string> Ignorable = ["_format", "_pretty"];

    public RecordResult<SearchQuery> Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> parameters, bool strict)
    {
        var criteria = new List<SearchCriterion>();
        var ignored = new List<string>();
        var count = DefaultCount;
        var total = SearchTotal.None;
        string? after = null;
        var summaryCount = false;
        foreach (var (rawName, rawValue) in parameters)
        {
            switch (rawName)
            {
                case "_count":
                    if (!int.TryParse(rawValue, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > MaxCount)
                        return Invalid($"_count must be a whole number from 0 to {MaxCount}.");
                    continue;
                case "_total":
                    if (rawValue is "none" or "estimate") total = SearchTotal.None;
                    else if (rawValue == "accurate") total = SearchTotal.Accurate;
                    else return Invalid("_total must be none, estimate or accurate.");
                    continue;
                case "_summary" when rawValue == "count":
                    // FHIR R4 search.html#summary: only the total, no entries.
                    summaryCount = true;
                    continue;
                case CursorParameter:
                    if (!ResourceIds.IsValid(rawValue)) return Invalid("The paging cursor is not valid.");
                    after = rawValue;
                    continue;
            }
            if (Ignorable.Contains(rawName)) continue;

            var colon = rawName.IndexOf(':', StringComparison.Ordinal);
            var code = colon < 0 ? rawName : rawName[..colon];
            var modifier = colon < 0 ? null : rawName[(colon + 1)..];
            var criterion = ParseCriterion(resourceType, code, modifier, rawName, rawValue);
            if (criterion.Error is { } error)
            {
                if (error.Kind == RecordErrorKind.MethodNotAllowed && !strict)
                {
                    ignored.Add(rawName);
                    continue;
                }
                return error.Kind == RecordErrorKind.MethodNotAllowed ? new RecordError(RecordErrorKind.BadRequest, "not-supported", error.Message) : error;
            }
            criteria.Add(criterion.Value!);
        }
        if (summaryCount) (count, total) = (0, SearchTotal.Accurate);
        return new SearchQuery { ResourceType = resourceType, Criteria = criteria, Count = count, Total = total, After = after, Ignored = ignored, SummaryCount = summaryCount };
    }

    // MethodNotAllowed marks "not supported" internally: ignorable under lenient handling.
    static RecordError Unsupported(string message) => new(RecordErrorKind.MethodNotAllowed, "not-supported", message);

    static RecordError Invalid(string message) => new(RecordErrorKind.BadRequest, "invalid", message);

    RecordResult<SearchCriterion> ParseCriterion(string resourceType, string code, string? modifier, string rawName, string rawValue)
    {
        FhirSearchParameter? parameter = null;
        SearchParamType type;
        if (code == "_id") type = SearchParamType.Token;
        else if (code == "_lastUpdated") type = SearchParamType.Date;
        else
        {
            parameter = spec.FindSearchParameter(resourceType, code);
            if (parameter is null || code.Contains('.', StringComparison.Ordinal)) return Unsupported($"Search parameter '{code}' is not supported for {resourceType}.");
            if (parameter.Expression.Length == 0 || !SearchIndexer.IsIndexed(parameter.Type)) return Unsupported($"Search parameter '{code}' ({parameter.Type}) is not supported yet.");
            type = parameter.Type;
        }

        if (modifier == "missing")
        {
            if (parameter is null) return Unsupported($"{code}:missing is not supported.");
            if (rawValue is not ("true" or "false")) return Invalid($"{rawName} takes true or false.");
            return new SearchCriterion(code, modifier, type, parameter, [new MissingValue(rawValue == "true")], rawName, rawValue);
        }
        if (!ModifierAllowed(type, modifier, parameter)) return Unsupported($"Modifier ':{modifier}' is not supported on '{code}'.");

        var values = new List<SearchValue>();
        foreach (var part in SplitUnescaped(rawValue, ','))
        {
            SearchValue? value = code switch
            {
                "_id" => ResourceIds.IsValid(Unescape(part)) ? new IdValue(Unescape(part)) : null,
                _ => type switch
                {
                    SearchParamType.Token => ParseToken(part),
                    SearchParamType.String => part.Length == 0 ? null : new StringValue(Unescape(part)),
                    SearchParamType.Date => ParseDate(part),
                    SearchParamType.Reference => ParseReference(part, modifier),
                    SearchParamType.Quantity or SearchParamType.Number => ParseNumber(part, type == SearchParamType.Quantity),
                    SearchParamType.Uri => part.Length == 0 ? null : new UriValue(Unescape(part)),
                    _ => null,
                },
            };
            if (value is null) return Invalid($"A value of '{rawName}' is not valid for a {type.ToString().ToLowerInvariant()} parameter.");
            values.Add(value);
        }
        return new SearchCriterion(code, modifier, type, parameter, values, rawName, rawValue);
    }

    bool ModifierAllowed(SearchParamType type, string? modifier, FhirSearchParameter? parameter) => modifier switch
    {
        null => true,
        "exact" or "contains" => type == SearchParamType.String,
        "not" => type == SearchParamType.Token && parameter is not null,
        "below" => type == SearchParamType.Uri,
        _ => type == SearchParamType.Reference && spec.IsKnownResourceType(modifier)
            && (parameter!.Targets.Count == 0 || parameter.Targets.Contains(modifier) || parameter.Targets.Contains("Resource")),
    };

    static TokenValue? ParseToken(string part)
    {
        var pieces = SplitUnescaped(part, '|');
        if (pieces.Count == 1) return pieces[0].Length == 0 ? null : new TokenValue(null, Unescape(pieces[0]));
        if (pieces.Count != 2 || (pieces[0].Length == 0 && pieces[1].Length == 0)) return null;
        return new TokenValue(Unescape(pieces[0]), pieces[1].Length == 0 ? null : Unescape(pieces[1]));
    }

    static (SearchPrefix Prefix, string Remainder) SplitPrefix(string part)
    {
        if (part.Length > 2 && char.IsAsciiLetterLower(part[0]) && char.IsAsciiLetterLower(part[1]))
        {
            SearchPrefix? prefix = part[..2] switch
            {
                "eq" => SearchPrefix.Eq, "ne" => SearchPrefix.Ne, "gt" => SearchPrefix.Gt, "lt" => SearchPrefix.Lt, "ge" => SearchPrefix.Ge,
                "le" => SearchPrefix.Le, "sa" => SearchPrefix.Sa, "eb" => SearchPrefix.Eb, "ap" => SearchPrefix.Ap, _ => null,
            };
            if (prefix is { } p) return (p, part[2..]);
        }
        return (SearchPrefix.Eq, part);
    }

    static DateValue? ParseDate(string part)
    {
        var (prefix, rest) = SplitPrefix(part);
        return FhirDateRange.TryParse(rest, out var range) ? new DateValue(prefix, range) : null;
    }

    static ReferenceValue? ParseReference(string part, string? typeModifier)
    {
        var text = Unescape(part);
        if (text.Length == 0) return null;
        if (ResourceIds.IsValid(text)) return new ReferenceValue(typeModifier, text);
        if (FhirReference.TryParse(text, out var reference) && reference.Kind is FhirReferenceKind.Relative or FhirReferenceKind.Absolute && reference.ResourceType is not null && reference.Id is not null)
        {
            if (typeModifier is not null && typeModifier != reference.ResourceType) return null;
            return new ReferenceValue(reference.ResourceType, reference.Id);
        }
        // A canonical or other absolute URL is matched as stored (target type '').
        return Uri.IsWellFormedUriString(text, UriKind.Absolute) ? new ReferenceValue("", text) : null;
    }

    static NumberValue? ParseNumber(string part, bool quantity)
    {
        var pieces = SplitUnescaped(part, '|');
        if (pieces.Count is not (1 or 3) || (!quantity && pieces.Count != 1)) return null;
        var (prefix, number) = SplitPrefix(pieces[0]);
        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value))
            return null;
        // FHIR R4 search.html#number: "100" means [99.5, 100.5), "100.0" means [99.95, 100.05).
        var dot = number.IndexOf('.', StringComparison.Ordinal);
        var decimals = dot < 0 || number.Contains('e', StringComparison.OrdinalIgnoreCase) ? 0 : number.Length - dot - 1;
        var half = 0.5 * Math.Pow(10, -decimals);
        var v = (double)value;
        string? system = pieces.Count == 3 && pieces[1].Length > 0 ? Unescape(pieces[1]) : null;
        string? code = pieces.Count == 3 && pieces[2].Length > 0 ? Unescape(pieces[2]) : null;
        return new NumberValue(prefix, v, v - half, v + half, system, code);
    }

    /// <summary>Splits on <paramref name="separator"/> where not escaped by a backslash (FHIR R4 search.html#escaping).</summary>
    static List<string> SplitUnescaped(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\') i++;
            else if (text[i] == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal)) return text;
        var builder = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length) i++;
            builder.Append(text[i]);
        }
        return builder.ToString();
    }
}
