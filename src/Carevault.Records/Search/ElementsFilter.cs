using System.Buffers;
using System.Text;
using System.Text.Json;
using Carevault.Fhir.Spec;

namespace Carevault.Records.Search;

/// <summary>
/// <c>_elements</c> (FHIR R4 search.html#elements): only the listed top-level elements, plus resourceType, id, meta
/// and the elements the type makes mandatory (min ≥ 1); the result is tagged SUBSETTED (v3-ObservationValue) so no
/// one mistakes it for the whole resource.
/// </summary>
public static class ElementsFilter
{
    const string SubsettedSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

    public static string Apply(string body, string resourceType, IReadOnlyList<string> elements, FhirSpec spec)
    {
        using var document = JsonDocument.Parse(body);
        var buffer = new ArrayBufferWriter<byte>(body.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("meta"))
                {
                    WriteMeta(writer, property.Value);
                    continue;
                }
                if (property.NameEquals("resourceType") || property.NameEquals("id") || Keep(property.Name, resourceType, elements, spec)) property.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static bool Keep(string name, string resourceType, IReadOnlyList<string> elements, FhirSpec spec)
    {
        // JSON names of primitives' extensions start with '_'; choice elements carry their type (valueQuantity → value).
        var bare = name.StartsWith('_') ? name[1..] : name;
        foreach (var element in elements)
            if (bare == element || (bare.StartsWith(element, StringComparison.Ordinal) && bare.Length > element.Length && char.IsAsciiLetterUpper(bare[element.Length]) && spec.FindElement($"{resourceType}.{element}[x]") is not null))
                return true;
        var definition = spec.FindElement($"{resourceType}.{bare}");
        return definition is { Min: >= 1 };
    }

    static void WriteMeta(Utf8JsonWriter writer, JsonElement meta)
    {
        writer.WriteStartObject("meta");
        var tagged = false;
        foreach (var property in meta.EnumerateObject())
        {
            if (!property.NameEquals("tag"))
            {
                property.WriteTo(writer);
                continue;
            }
            writer.WriteStartArray("tag");
            foreach (var tag in property.Value.EnumerateArray()) tag.WriteTo(writer);
            WriteSubsetted(writer);
            writer.WriteEndArray();
            tagged = true;
        }
        if (!tagged)
        {
            writer.WriteStartArray("tag");
            WriteSubsetted(writer);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    static void WriteSubsetted(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("system", SubsettedSystem);
        writer.WriteString("code", "SUBSETTED");
        writer.WriteEndObject();
    }
}
