using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Carevault.Portal.Records;

/// <summary>Reading and writing the few FHIR JSON values the portal's own workflows handle.</summary>
internal static class FhirValues
{
    public static ReadOnlyMemory<byte> Json(JsonObject resource) => Encoding.UTF8.GetBytes(resource.ToJsonString());

    /// <summary>A FHIR instant in UTC, to the second.</summary>
    public static string Instant(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static DateTimeOffset? Time(JsonElement element, string property) =>
        Text(element, property) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;

    /// <summary>A CodeableConcept's words: its text, else its first coding's display or code.</summary>
    public static string? ConceptText(JsonElement concept)
    {
        if (concept.ValueKind != JsonValueKind.Object) return null;
        if (Text(concept, "text") is { } text) return text;
        if (concept.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
            foreach (var coding in codings.EnumerateArray())
                if ((Text(coding, "display") ?? Text(coding, "code")) is { } shown) return shown;
        return null;
    }

    /// <summary>The CodeableConcept in <paramref name="property"/> of a resource, in words.</summary>
    public static string? ConceptText(JsonElement resource, string property) =>
        resource.TryGetProperty(property, out var concept) ? ConceptText(concept) : null;

    /// <summary>A Patient's or Practitioner's first name as shown: its text, else "given family".</summary>
    public static string? PersonName(JsonElement resource)
    {
        if (!resource.TryGetProperty("name", out var names) || names.ValueKind != JsonValueKind.Array || names.GetArrayLength() == 0) return null;
        var name = names[0];
        if (Text(name, "text") is { } text) return text;
        var given = name.TryGetProperty("given", out var g) && g.ValueKind == JsonValueKind.Array && g.GetArrayLength() > 0 ? g[0].GetString() : null;
        return Text(name, "family") is { } family ? (given is null ? family : given + " " + family) : given;
    }

    public static DateTimeOffset? Time(JsonObject element, string property) =>
        (string?)element[property] is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;
}
