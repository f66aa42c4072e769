using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Carevault.Fhir.Spec;

namespace Carevault.Records.Search;

/// <summary>
/// The next-page cursor of a sorted search: the last row's sort values and id, as base64url JSON. The next page
/// continues strictly after that tuple in the sort order (keyset), so concurrent writes cause no repeats or skips
/// among resources whose sort values did not change.
/// </summary>
public static class SortCursor
{
    public static string Encode(IReadOnlyList<object> values) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(values));

    /// <summary>The values typed for <paramref name="keys"/> (long for dates, double for numbers, else string) and the id; null when malformed.</summary>
    public static IReadOnlyList<object>? Decode(string cursor, IReadOnlyList<SortKey> keys)
    {
        try
        {
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(cursor));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != keys.Count + 1) return null;
            var values = new List<object>(keys.Count + 1);
            for (var i = 0; i < keys.Count; i++)
            {
                var item = root[i];
                object? value = KindOf(keys[i]) switch
                {
                    SortValueKind.Integer => item.ValueKind == JsonValueKind.Number && item.TryGetInt64(out var l) ? l : null,
                    SortValueKind.Real => item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out var d) ? d : null,
                    _ => item.ValueKind == JsonValueKind.String ? item.GetString() : null,
                };
                if (value is null) return null;
                values.Add(value);
            }
            var id = root[keys.Count];
            if (id.ValueKind != JsonValueKind.String || !Store.ResourceIds.IsValid(id.GetString())) return null;
            values.Add(id.GetString()!);
            return values;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    internal enum SortValueKind { Integer, Real, Text }

    internal static SortValueKind KindOf(SortKey key) => key.Code switch
    {
        "_lastUpdated" => SortValueKind.Integer,
        "_id" => SortValueKind.Text,
        _ => key.Type switch
        {
            SearchParamType.Date => SortValueKind.Integer,
            SearchParamType.Number or SearchParamType.Quantity => SortValueKind.Real,
            _ => SortValueKind.Text,
        },
    };

    internal static object Read(SortKey key, object value) => KindOf(key) switch
    {
        SortValueKind.Integer => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        SortValueKind.Real => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };
}
