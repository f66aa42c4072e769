using System.Collections.Concurrent;
using System.Text.Json;
using Carevault.Fhir;
using Carevault.Fhir.FhirPath;
using Carevault.Fhir.Spec;

namespace Carevault.Records.Search;

/// <summary>
/// Extracts search-index rows from a resource with the R4 SearchParameter expressions (FHIR R4 search.html and
/// searchparameter-registry). Values are converted by their FHIR type: Coding/CodeableConcept/Identifier → token,
/// HumanName/Address → strings, Period/Timing/dateTime → date ranges, Reference → type + id, Quantity → number.
/// <c>_id</c> and <c>_lastUpdated</c> are columns of the resource table, not index rows.
/// </summary>
public sealed class SearchIndexer(FhirSpec spec)
{
    /// <summary>
    /// Token parameters also index their human text — CodeableConcept.text and Coding.display — as string rows under
    /// <c>code + TextSuffix</c>, which <c>:text</c> searches (search.html#modifiers).
    /// </summary>
    public const string TextSuffix = ":text";

    readonly ConcurrentDictionary<string, FhirSearchParameter[]> _byType = new(StringComparer.Ordinal);

    /// <summary>Parameters this server indexes and searches for <paramref name="resourceType"/>.</summary>
    public IReadOnlyList<FhirSearchParameter> IndexedParameters(string resourceType) =>
        _byType.GetOrAdd(resourceType, type => spec.GetSearchParameters(type)
            .Where(p => p.Expression.Length > 0 && p.Code is not ("_id" or "_lastUpdated") && (IsIndexed(p.Type) || CompositeSecond(spec, type, p) is not null))
            .ToArray());

    /// <summary>
    /// Composites indexed here: a token first component and a quantity or token second (Observation's code-value-quantity,
    /// code-value-concept, component-… and combo-…). The type of the second component, or null when not supported.
    /// </summary>
    public static SearchParamType? CompositeSecond(FhirSpec spec, string resourceType, FhirSearchParameter parameter)
    {
        if (parameter.Type != SearchParamType.Composite || parameter.Components.Count != 2) return null;
        if (spec.FindSearchParameter(resourceType, parameter.Components[0].Code)?.Type != SearchParamType.Token) return null;
        var second = spec.FindSearchParameter(resourceType, parameter.Components[1].Code)?.Type;
        return second is SearchParamType.Quantity or SearchParamType.Token ? second : null;
    }

    /// <summary>Separates the two parts of a composite's stored system and code (a control character no FHIR string holds).</summary>
    public const char CompositeSeparator = '\u001F';

    static readonly ConcurrentDictionary<string, FhirPathExpression> ComponentExpressions = new(StringComparer.Ordinal);

    public static bool IsIndexed(SearchParamType type) => type is SearchParamType.Token or SearchParamType.String or SearchParamType.Date
        or SearchParamType.Reference or SearchParamType.Quantity or SearchParamType.Number or SearchParamType.Uri;

    public IndexRows Extract(JsonElement resource)
    {
        var rows = new IndexRows();
        var type = resource.GetProperty("resourceType").GetString()!;
        foreach (var parameter in IndexedParameters(type))
        {
            if (parameter.Type == SearchParamType.Composite)
            {
                AddComposite(rows, type, parameter, resource);
                continue;
            }
            foreach (var node in parameter.CompiledExpression!.Evaluate(resource, spec)) Add(rows, parameter, node);
        }
        return rows;
    }

    /// <summary>
    /// A composite's rows pair the components found under the same base node (search.html#composite: for
    /// component-code-value-quantity, code and value of one component). Stored in the second component's table:
    /// system = first system, separator, first code; for a quantity code = unit system, separator, unit code; for a
    /// token code = its system, separator, its code.
    /// </summary>
    void AddComposite(IndexRows rows, string type, FhirSearchParameter parameter, JsonElement resource)
    {
        var second = CompositeSecond(spec, type, parameter)!.Value;
        var first = ComponentExpressions.GetOrAdd(parameter.Components[0].Expression, FhirPathExpression.Parse);
        var value = ComponentExpressions.GetOrAdd(parameter.Components[1].Expression, FhirPathExpression.Parse);
        foreach (var node in parameter.CompiledExpression!.Evaluate(resource, spec))
        {
            var codes = new IndexRows();
            foreach (var code in first.Evaluate(node, resource, spec)) AddToken(codes, "", code.TypeName, code.Value);
            if (codes.Tokens.Count == 0) continue;
            var values = new IndexRows();
            foreach (var item in value.Evaluate(node, resource, spec))
            {
                if (second == SearchParamType.Quantity) AddQuantity(values, "", item.Value);
                else AddToken(values, "", item.TypeName, item.Value);
            }
            foreach (var code in codes.Tokens)
            {
                var key = code.System + CompositeSeparator + code.Code;
                foreach (var quantity in values.Quantities) rows.Quantities.Add(new QuantityRow(parameter.Code, key, quantity.System + CompositeSeparator + quantity.Code, quantity.Value));
                foreach (var token in values.Tokens) rows.Tokens.Add(new TokenRow(parameter.Code, key, token.System + CompositeSeparator + token.Code));
            }
        }
    }

    static void Add(IndexRows rows, FhirSearchParameter parameter, FhirPathNode node)
    {
        var value = node.Value;
        var code = parameter.Code;
        switch (parameter.Type)
        {
            case SearchParamType.Token: AddToken(rows, code, node.TypeName, value); break;
            case SearchParamType.String: AddString(rows, code, node.TypeName, value); break;
            case SearchParamType.Date: AddDate(rows, code, node.TypeName, value); break;
            case SearchParamType.Reference: AddReference(rows, code, value); break;
            case SearchParamType.Quantity or SearchParamType.Number: AddQuantity(rows, code, value); break;
            case SearchParamType.Uri:
                if (value.ValueKind == JsonValueKind.String) rows.Uris.Add(new UriRow(code, value.GetString()!));
                break;
        }
    }

    static void AddToken(IndexRows rows, string param, string? type, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                rows.Tokens.Add(new TokenRow(param, "", value.GetString()!));
                return;
            case JsonValueKind.True or JsonValueKind.False:
                rows.Tokens.Add(new TokenRow(param, "", value.ValueKind == JsonValueKind.True ? "true" : "false"));
                return;
            case JsonValueKind.Object:
                break;
            default:
                return;
        }
        if (type == "CodeableConcept" || value.TryGetProperty("coding", out _))
        {
            if (value.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) AddStringValue(rows, param + TextSuffix, text.GetString()!);
            if (value.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
            {
                foreach (var coding in codings.EnumerateArray())
                {
                    AddSystemValue(rows, param, coding, "code");
                    AddDisplay(rows, param, coding);
                }
            }
            return;
        }
        if (type == "Coding") AddDisplay(rows, param, value);
        // Identifier and ContactPoint keep their value in "value"; Coding in "code".
        AddSystemValue(rows, param, value, type is "Identifier" or "ContactPoint" || value.TryGetProperty("value", out _) ? "value" : "code");
    }

    static void AddDisplay(IndexRows rows, string param, JsonElement coding)
    {
        if (coding.ValueKind == JsonValueKind.Object && coding.TryGetProperty("display", out var display) && display.ValueKind == JsonValueKind.String)
            AddStringValue(rows, param + TextSuffix, display.GetString()!);
    }

    static void AddSystemValue(IndexRows rows, string param, JsonElement element, string valueName)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(valueName, out var code) || code.ValueKind != JsonValueKind.String) return;
        var system = element.TryGetProperty("system", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
        // ContactPoint.system is a code (phone, email), not a URI: search matches on the value alone.
        if (valueName == "value" && system is "phone" or "fax" or "email" or "pager" or "url" or "sms" or "other") system = "";
        rows.Tokens.Add(new TokenRow(param, system, code.GetString()!));
    }

    static readonly string[] HumanNameParts = ["family", "given", "prefix", "suffix", "text"];
    static readonly string[] AddressParts = ["line", "city", "district", "state", "postalCode", "country", "text"];

    static void AddString(IndexRows rows, string param, string? type, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            AddStringValue(rows, param, value.GetString()!);
            return;
        }
        if (value.ValueKind != JsonValueKind.Object) return;
        var parts = type == "Address" || value.TryGetProperty("city", out _) || value.TryGetProperty("line", out _) ? AddressParts : HumanNameParts;
        foreach (var part in parts)
        {
            if (!value.TryGetProperty(part, out var item)) continue;
            if (item.ValueKind == JsonValueKind.String) AddStringValue(rows, param, item.GetString()!);
            else if (item.ValueKind == JsonValueKind.Array)
                foreach (var each in item.EnumerateArray())
                    if (each.ValueKind == JsonValueKind.String) AddStringValue(rows, param, each.GetString()!);
        }
    }

    static void AddStringValue(IndexRows rows, string param, string text)
    {
        var exact = text.Length > SearchText.MaxIndexedLength ? text[..SearchText.MaxIndexedLength] : text;
        rows.Strings.Add(new StringRow(param, SearchText.Normalize(exact), exact));
    }

    static void AddDate(IndexRows rows, string param, string? type, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            if (FhirDateRange.TryParse(value.GetString(), out var range)) rows.Dates.Add(new DateRow(param, range.Low, range.High));
            return;
        }
        if (value.ValueKind != JsonValueKind.Object) return;
        if (value.TryGetProperty("start", out _) || value.TryGetProperty("end", out _) || type == "Period")
        {
            var low = value.TryGetProperty("start", out var start) && start.ValueKind == JsonValueKind.String && FhirDateRange.TryParse(start.GetString(), out var s) ? s.Low : long.MinValue;
            var high = value.TryGetProperty("end", out var end) && end.ValueKind == JsonValueKind.String && FhirDateRange.TryParse(end.GetString(), out var e) ? e.High : long.MaxValue;
            if (low != long.MinValue || high != long.MaxValue) rows.Dates.Add(new DateRow(param, low, high));
            return;
        }
        // Timing: each event is a date.
        if (value.TryGetProperty("event", out var events) && events.ValueKind == JsonValueKind.Array)
            foreach (var each in events.EnumerateArray())
                if (each.ValueKind == JsonValueKind.String && FhirDateRange.TryParse(each.GetString(), out var range))
                    rows.Dates.Add(new DateRow(param, range.Low, range.High));
    }

    static void AddReference(IndexRows rows, string param, JsonElement value)
    {
        string? text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String => r.GetString(),
            _ => null,
        };
        if (text is null || text.StartsWith('#')) return; // contained resources are not searchable on their own
        if (FhirReference.TryParse(text, out var reference) && reference.Kind is FhirReferenceKind.Relative or FhirReferenceKind.Absolute && reference.ResourceType is not null && reference.Id is not null)
            rows.References.Add(new ReferenceRow(param, reference.ResourceType, reference.Id));
        else
            rows.References.Add(new ReferenceRow(param, "", text)); // canonical URLs, urn:oid:, other servers' URLs
    }

    static void AddQuantity(IndexRows rows, string param, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetDouble(out var number)) rows.Quantities.Add(new QuantityRow(param, "", "", number));
            return;
        }
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("value", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var amount)) return;
        var system = value.TryGetProperty("system", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
        var code = value.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()!
            : value.TryGetProperty("unit", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "";
        rows.Quantities.Add(new QuantityRow(param, system, code, amount));
    }
}
