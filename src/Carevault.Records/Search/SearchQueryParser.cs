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
        var includes = new List<IncludeDirective>();
        var sort = new List<SortKey>();
        List<string>? elements = null;
        SummaryMode? summary = null;
        string? cursor = null;
        foreach (var (rawName, rawValue) in parameters)
        {
            switch (rawName)
            {
                case "_include" or "_include:iterate" or "_revinclude" or "_revinclude:iterate":
                    var include = ParseInclude(rawName, rawValue);
                    if (include.Error is { } includeError)
                    {
                        if (!strict && includeError.Kind == RecordErrorKind.MethodNotAllowed) ignored.Add(rawName);
                        else return includeError.Kind == RecordErrorKind.MethodNotAllowed ? new RecordError(RecordErrorKind.BadRequest, "not-supported", includeError.Message) : includeError;
                        continue;
                    }
                    includes.Add(include.Value!);
                    continue;
                case "_sort":
                    foreach (var key in rawValue.Split(','))
                    {
                        var parsedKey = ParseSortKey(resourceType, key.Trim());
                        if (parsedKey.Error is { } sortError) return sortError;
                        sort.Add(parsedKey.Value!);
                    }
                    continue;
                case "_elements":
                    elements ??= [];
                    foreach (var element in rawValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        // Top-level names only (search.html#elements); "Patient.name" names the same element.
                        var name = element.StartsWith(resourceType + ".", StringComparison.Ordinal) ? element[(resourceType.Length + 1)..] : element;
                        if (name.Length == 0 || !name.All(char.IsAsciiLetterOrDigit)) return Invalid("_elements takes a comma-separated list of element names.");
                        elements.Add(name);
                    }
                    continue;
                case "_count":
                    if (!int.TryParse(rawValue, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > MaxCount)
                        return Invalid($"_count must be a whole number from 0 to {MaxCount}.");
                    continue;
                case "_total":
                    if (rawValue is "none" or "estimate") total = SearchTotal.None;
                    else if (rawValue == "accurate") total = SearchTotal.Accurate;
                    else return Invalid("_total must be none, estimate or accurate.");
                    continue;
                case "_summary":
                    // FHIR R4 search.html#summary: count is the total alone, no entries; the others are subsets.
                    if (rawValue == "count") summaryCount = true;
                    else if (!TryParseSummary(rawValue, out summary)) return Invalid("_summary must be true, text, data, count or false.");
                    continue;
                case CursorParameter:
                    cursor = rawValue;
                    continue;
            }
            if (Ignorable.Contains(rawName)) continue;
            if (rawName.StartsWith("_has:", StringComparison.Ordinal))
            {
                var has = ParseHas(resourceType, rawName, rawValue);
                if (has.Error is { Kind: RecordErrorKind.MethodNotAllowed } && !strict) ignored.Add(rawName);
                else if (has.Error is { } hasError) return hasError.Kind == RecordErrorKind.MethodNotAllowed ? new RecordError(RecordErrorKind.BadRequest, "not-supported", hasError.Message) : hasError;
                else criteria.Add(has.Value!);
                continue;
            }

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
        if (summary is not null && elements is not null) return Invalid("Use _summary or _elements, not both.");
        IReadOnlyList<object>? sortAfter = null;
        if (cursor is not null)
        {
            // Id order pages by the last id; a sorted search by the last row's sort values and id (SortCursor).
            if (sort.Count == 0 && !ResourceIds.IsValid(cursor)) return Invalid("The paging cursor is not valid.");
            if (sort.Count == 0) after = cursor;
            else if ((sortAfter = SortCursor.Decode(cursor, sort)) is null) return Invalid("The paging cursor is not valid.");
        }
        return new SearchQuery
        {
            ResourceType = resourceType, Criteria = criteria, Count = count, Total = total, After = after, Ignored = ignored, SummaryCount = summaryCount,
            Includes = includes, Sort = sort, SortAfter = sortAfter, Elements = elements, Summary = summary,
        };
    }

    /// <summary>A <c>_summary</c> value other than count: the subset it asks for, null for <c>false</c> (the whole resource).</summary>
    public static bool TryParseSummary(string value, out SummaryMode? mode)
    {
        mode = value switch
        {
            "true" => SummaryMode.True,
            "text" => SummaryMode.Text,
            "data" => SummaryMode.Data,
            _ => null,
        };
        return mode is not null || value == "false";
    }

    // MethodNotAllowed marks "not supported" internally: ignorable under lenient handling.
    static RecordError Unsupported(string message) => new(RecordErrorKind.MethodNotAllowed, "not-supported", message);

    static RecordError Invalid(string message) => new(RecordErrorKind.BadRequest, "invalid", message);

    /// <summary><c>_include[:iterate]=Source:param[:Target]</c> (search.html#include); <c>*</c> is not supported.</summary>
    RecordResult<IncludeDirective> ParseInclude(string rawName, string rawValue)
    {
        var parts = rawValue.Split(':');
        if (parts.Length is < 2 or > 3 || !spec.IsKnownResourceType(parts[0])) return Invalid($"{rawName} takes [type]:[parameter] or [type]:[parameter]:[target type].");
        if (!FhirSupported(parts[0])) return Unsupported($"{rawName}: this server does not store {parts[0]}.");
        var parameter = spec.FindSearchParameter(parts[0], parts[1]);
        if (parameter is null || parameter.Type != SearchParamType.Reference || parameter.Expression.Length == 0)
            return Unsupported($"{rawName}: '{parts[1]}' is not a reference search parameter of {parts[0]}.");
        string? target = parts.Length == 3 ? parts[2] : null;
        if (target is not null && !(parameter.Targets.Contains(target) || parameter.Targets.Contains("Resource"))) return Invalid($"{rawName}: {target} is not a target of {parts[1]}.");
        return new IncludeDirective(rawName.StartsWith("_revinclude", StringComparison.Ordinal), parts[0], parts[1], target, rawName.EndsWith(":iterate", StringComparison.Ordinal));
    }

    bool FhirSupported(string type) => spec.FindType(type) is { Kind: FhirTypeKind.Resource, IsAbstract: false };

    static readonly SearchParamType[] Sortable = [SearchParamType.Date, SearchParamType.String, SearchParamType.Token, SearchParamType.Number, SearchParamType.Quantity, SearchParamType.Uri, SearchParamType.Reference];

    /// <summary>One <c>_sort</c> key: <c>[-]code</c> (search.html#sort).</summary>
    RecordResult<SortKey> ParseSortKey(string resourceType, string key)
    {
        var descending = key.StartsWith('-');
        var code = descending ? key[1..] : key;
        if (code == "_id") return new SortKey(code, descending, SearchParamType.Token);
        if (code == "_lastUpdated") return new SortKey(code, descending, SearchParamType.Date);
        var parameter = spec.FindSearchParameter(resourceType, code);
        if (parameter is null || parameter.Expression.Length == 0 || !Sortable.Contains(parameter.Type)) return Invalid($"_sort: '{code}' is not a sortable parameter of {resourceType}.");
        return new SortKey(code, descending, parameter.Type);
    }

    /// <summary>One level of chaining: <c>reference[:Type].param[:modifier]=value</c> (search.html#chaining).</summary>
    RecordResult<SearchCriterion> ParseChain(string resourceType, string referenceCode, string? typeModifier, string chainedCode, string? chainedModifier, string rawName, string rawValue)
    {
        var parameter = spec.FindSearchParameter(resourceType, referenceCode);
        if (parameter is null || parameter.Type != SearchParamType.Reference || parameter.Expression.Length == 0)
            return Unsupported($"'{referenceCode}' is not a reference search parameter of {resourceType}.");
        if (chainedCode.Contains('.', StringComparison.Ordinal)) return Unsupported("Only one level of chaining is supported.");
        List<string> targets = typeModifier is not null ? [typeModifier] : parameter.Targets.Where(t => t != "Resource" && FhirSupported(t) && (t == "Resource" || spec.FindSearchParameter(t, chainedCode) is not null || chainedCode is "_id" or "_lastUpdated")).ToList();
        if (typeModifier is not null && (!FhirSupported(typeModifier) || !(parameter.Targets.Contains(typeModifier) || parameter.Targets.Contains("Resource"))))
            return Unsupported($"'{typeModifier}' is not a stored target of '{referenceCode}'.");
        if (targets.Count == 0) return Unsupported($"No target of '{referenceCode}' has the parameter '{chainedCode}'.");
        var values = new List<SearchValue>();
        foreach (var target in targets)
        {
            var inner = ParseCriterion(target, chainedCode, chainedModifier, chainedModifier is null ? chainedCode : chainedCode + ":" + chainedModifier, rawValue);
            if (inner.Error is { } error) return error;
            values.Add(new ChainValue(target, inner.Value!));
        }
        return new SearchCriterion(referenceCode, typeModifier, SearchParamType.Reference, parameter, values, rawName, rawValue);
    }

    /// <summary><c>_has:SourceType:referenceParam:param[:modifier]=value</c>, one level (search.html#has).</summary>
    RecordResult<SearchCriterion> ParseHas(string resourceType, string rawName, string rawValue)
    {
        var parts = rawName.Split(':');
        if (parts.Length > 4 && parts[3] == "_has") return Unsupported("Only one level of _has is supported.");
        if (parts.Length is < 4 or > 5 || !spec.IsKnownResourceType(parts[1])) return Invalid($"{rawName}: _has takes _has:[type]:[reference parameter]:[parameter].");
        var (sourceType, referenceCode) = (parts[1], parts[2]);
        if (!FhirSupported(sourceType)) return Unsupported($"{rawName}: this server does not store {sourceType}.");
        var reference = spec.FindSearchParameter(sourceType, referenceCode);
        if (reference is null || reference.Type != SearchParamType.Reference || reference.Expression.Length == 0)
            return Unsupported($"{rawName}: '{referenceCode}' is not a reference search parameter of {sourceType}.");
        if (!reference.Targets.Contains(resourceType) && !reference.Targets.Contains("Resource"))
            return Invalid($"{rawName}: {sourceType}.{referenceCode} never refers to {resourceType}.");
        var modifier = parts.Length == 5 ? parts[4] : null;
        var inner = ParseCriterion(sourceType, parts[3], modifier, modifier is null ? parts[3] : parts[3] + ":" + modifier, rawValue);
        if (inner.Error is { } error) return error;
        return new SearchCriterion("_has", null, SearchParamType.Reference, reference, [new HasValue(sourceType, referenceCode, inner.Value!)], rawName, rawValue);
    }

    RecordResult<SearchCriterion> ParseCriterion(string resourceType, string code, string? modifier, string rawName, string rawValue)
    {
        // patient.name[:modifier]=…
        if (code.IndexOf('.', StringComparison.Ordinal) is var dot and > 0) return ParseChain(resourceType, code[..dot], null, code[(dot + 1)..], modifier, rawName, rawValue);
        // subject:Patient.name[:modifier]=…
        if (modifier is not null && modifier.IndexOf('.', StringComparison.Ordinal) is var typeDot and > 0)
        {
            var rest = modifier[(typeDot + 1)..];
            var restColon = rest.IndexOf(':', StringComparison.Ordinal);
            return ParseChain(resourceType, code, modifier[..typeDot], restColon < 0 ? rest : rest[..restColon], restColon < 0 ? null : rest[(restColon + 1)..], rawName, rawValue);
        }
        FhirSearchParameter? parameter = null;
        SearchParamType type;
        if (code == "_id") type = SearchParamType.Token;
        else if (code == "_lastUpdated") type = SearchParamType.Date;
        else
        {
            parameter = spec.FindSearchParameter(resourceType, code);
            if (parameter is null) return Unsupported($"Search parameter '{code}' is not supported for {resourceType}.");
            var composite = SearchIndexer.CompositeSecond(spec, resourceType, parameter);
            if (parameter.Expression.Length == 0 || !(SearchIndexer.IsIndexed(parameter.Type) || composite is not null)) return Unsupported($"Search parameter '{code}' ({parameter.Type}) is not supported yet.");
            type = parameter.Type;
            if (composite is { } second) return ParseComposite(code, modifier, parameter, second, rawName, rawValue);
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
                    SearchParamType.Token when modifier == "text" => part.Length == 0 ? null : new TokenTextValue(Unescape(part)),
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

    /// <summary><c>token$quantity</c> or <c>token$token</c> values, ORed by comma (search.html#composite); no modifiers.</summary>
    static RecordResult<SearchCriterion> ParseComposite(string code, string? modifier, FhirSearchParameter parameter, SearchParamType second, string rawName, string rawValue)
    {
        if (modifier is not null) return Unsupported($"Modifier ':{modifier}' is not supported on '{code}'.");
        var values = new List<SearchValue>();
        foreach (var part in SplitUnescaped(rawValue, ','))
        {
            var pieces = SplitUnescaped(part, '$');
            SearchValue? value = null;
            if (pieces.Count == 2 && ParseToken(pieces[0]) is { Code: not null } first)
            {
                SearchValue? tail = second == SearchParamType.Quantity ? ParseNumber(pieces[1], quantity: true) : ParseToken(pieces[1]);
                if (tail is TokenValue { Code: null }) tail = null;
                if (tail is not null) value = new CompositeValue(first, tail);
            }
            if (value is null) return Invalid($"A value of '{rawName}' must be [system|]code${(second == SearchParamType.Quantity ? "[prefix]number[|system|code]" : "[system|]code")}.");
            values.Add(value);
        }
        return new SearchCriterion(code, null, SearchParamType.Composite, parameter, values, rawName, rawValue);
    }

    bool ModifierAllowed(SearchParamType type, string? modifier, FhirSearchParameter? parameter) => modifier switch
    {
        null => true,
        "exact" or "contains" => type == SearchParamType.String,
        "not" or "text" => type == SearchParamType.Token && parameter is not null,
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
