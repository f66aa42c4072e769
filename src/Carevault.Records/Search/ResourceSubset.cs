using System.Buffers;
using System.Text;
using System.Text.Json;
using Carevault.Fhir.Spec;

namespace Carevault.Records.Search;

/// <summary>The <c>_summary</c> modes that return part of a resource (search.html#summary); <c>count</c> and <c>false</c> are not subsets.</summary>
public enum SummaryMode
{
    /// <summary>The elements the base definition marks isSummary (inside a summary backbone element, its summary children).</summary>
    True,

    /// <summary>text, id, meta and the top-level mandatory elements.</summary>
    Text,

    /// <summary>Everything but the narrative text.</summary>
    Data,
}

/// <summary>
/// <c>_elements</c> and <c>_summary</c> (FHIR R4 search.html#elements, #summary): part of a resource. resourceType,
/// id and meta are always kept, and modifier extensions (which change the meaning of what they sit on); the result is
/// tagged SUBSETTED (v3-ObservationValue) so no one mistakes it for the whole resource.
/// </summary>
public static class ResourceSubset
{
    const string SubsettedSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

    /// <summary><c>_elements</c>: the listed top-level elements plus the ones the type makes mandatory (min ≥ 1).</summary>
    public static string Apply(string body, string resourceType, IReadOnlyList<string> elements, FhirSpec spec) =>
        Write(body, (writer, property) =>
        {
            if (Keep(property.Name, resourceType, elements, spec)) property.WriteTo(writer);
        });

    /// <summary><c>_summary=true|text|data</c>.</summary>
    public static string Summary(string body, string resourceType, SummaryMode mode, FhirSpec spec)
    {
        var type = spec.FindType(resourceType) ?? throw new ArgumentException($"Unknown resource type {resourceType}.", nameof(resourceType));
        return Write(body, (writer, property) =>
        {
            var bare = Bare(property.Name);
            switch (mode)
            {
                case SummaryMode.Data when bare != "text":
                    property.WriteTo(writer);
                    break;
                case SummaryMode.Text when bare == "text" || bare == "modifierExtension" || type.Children.GetValueOrDefault(bare)?.Element.Min >= 1:
                    property.WriteTo(writer);
                    break;
                case SummaryMode.True when type.Children.GetValueOrDefault(bare) is { } child && IsSummary(child):
                    WriteSummary(writer, property, child);
                    break;
            }
        });
    }

    static string Write(string body, Action<Utf8JsonWriter, JsonProperty> writeOther)
    {
        using var document = JsonDocument.Parse(body);
        var buffer = new ArrayBufferWriter<byte>(body.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var tagged = false;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("meta")) tagged = WriteMeta(writer, property.Value);
                else if (property.NameEquals("resourceType") || property.NameEquals("id")) property.WriteTo(writer);
                else writeOther(writer, property);
            }
            if (!tagged) WriteMeta(writer, default);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // JSON names of primitives' extensions start with '_' (_birthDate); they follow their element.
    static string Bare(string name) => name.StartsWith('_') ? name[1..] : name;

    static bool IsSummary(FhirChild child) => child.Element.IsSummary || child.JsonName == "modifierExtension";

    // A summary backbone element keeps only its summary children; a datatype value is kept whole.
    static void WriteSummary(Utf8JsonWriter writer, JsonProperty property, FhirChild child)
    {
        if (child.Element.Children is not { } children || property.Name.StartsWith('_'))
        {
            property.WriteTo(writer);
            return;
        }
        writer.WritePropertyName(property.Name);
        if (property.Value.ValueKind == JsonValueKind.Array)
        {
            writer.WriteStartArray();
            foreach (var item in property.Value.EnumerateArray()) WriteBackbone(writer, item, children);
            writer.WriteEndArray();
        }
        else WriteBackbone(writer, property.Value, children);
    }

    static void WriteBackbone(Utf8JsonWriter writer, JsonElement value, IReadOnlyDictionary<string, FhirChild> children)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            value.WriteTo(writer);
            return;
        }
        writer.WriteStartObject();
        foreach (var property in value.EnumerateObject())
            if (children.GetValueOrDefault(Bare(property.Name)) is { } child && IsSummary(child)) WriteSummary(writer, property, child);
        writer.WriteEndObject();
    }

    static bool Keep(string name, string resourceType, IReadOnlyList<string> elements, FhirSpec spec)
    {
        // Choice elements carry their type (valueQuantity → value).
        var bare = Bare(name);
        foreach (var element in elements)
            if (bare == element || (bare.StartsWith(element, StringComparison.Ordinal) && bare.Length > element.Length && char.IsAsciiLetterUpper(bare[element.Length]) && spec.FindElement($"{resourceType}.{element}[x]") is not null))
                return true;
        var definition = spec.FindElement($"{resourceType}.{bare}");
        return definition is { Min: >= 1 };
    }

    // meta as stored, with the SUBSETTED tag added (default: no meta in the body, one is written for the tag).
    static bool WriteMeta(Utf8JsonWriter writer, JsonElement meta)
    {
        writer.WriteStartObject("meta");
        var tagged = false;
        if (meta.ValueKind == JsonValueKind.Object)
        {
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
        }
        if (!tagged)
        {
            writer.WriteStartArray("tag");
            WriteSubsetted(writer);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        return true;
    }

    static void WriteSubsetted(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("system", SubsettedSystem);
        writer.WriteString("code", "SUBSETTED");
        writer.WriteEndObject();
    }
}
