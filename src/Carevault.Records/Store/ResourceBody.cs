using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Carevault.Records.Store;

/// <summary>Writes the stored form of a resource: resourceType, id and meta first, with the server's id and version.</summary>
internal static class ResourceBody
{
    public static string Stamp(JsonElement resource, string id, long versionId, long lastUpdated)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", resource.GetProperty("resourceType").GetString());
            writer.WriteString("id", id);
            writer.WriteStartObject("meta");
            writer.WriteString("versionId", versionId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("lastUpdated", FormatInstant(lastUpdated));
            if (resource.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in meta.EnumerateObject())
                {
                    if (property.NameEquals("versionId") || property.NameEquals("lastUpdated")) continue;
                    property.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
            foreach (var property in resource.EnumerateObject())
            {
                if (property.NameEquals("resourceType") || property.NameEquals("id") || property.NameEquals("meta")) continue;
                property.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>FHIR instant with milliseconds in UTC, e.g. <c>2026-11-21T23:23:18.123Z</c>.</summary>
    public static string FormatInstant(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
