using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Carevault.Portal.Records;

/// <summary>Reading and writing the few FHIR JSON values the portal's own workflows (appointments, check-ins) handle.</summary>
internal static class FhirValues
{
    public static ReadOnlyMemory<byte> Json(JsonObject resource) => Encoding.UTF8.GetBytes(resource.ToJsonString());

    /// <summary>A FHIR instant in UTC, to the second.</summary>
    public static string Instant(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static DateTimeOffset? Time(JsonElement element, string property) =>
        Text(element, property) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;

    public static DateTimeOffset? Time(JsonObject element, string property) =>
        (string?)element[property] is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;
}
