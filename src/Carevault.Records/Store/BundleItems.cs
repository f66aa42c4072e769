using System.Text.Json;
using Carevault.Fhir;

namespace Carevault.Records.Store;

/// <summary>
/// The entries of a Bundle to bulk-load: type <c>collection</c> (each entry's resource) or <c>batch</c> whose entries
/// are all creates (<c>POST [type]</c>); each entry is loaded like an NDJSON line. Numbers are entry indexes (0-based,
/// as in <c>Bundle.entry[n]</c>).
/// </summary>
public static class BundleItems
{
    public static RecordResult<IReadOnlyList<BulkItem>> Read(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(FhirJson.SkipUtf8Bom(body), new JsonDocumentOptions { MaxDepth = 66 });
        }
        catch (JsonException)
        {
            return new RecordError(RecordErrorKind.BadRequest, "structure", "The body is not valid JSON.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var rt) || !rt.ValueEquals("Bundle"))
                return new RecordError(RecordErrorKind.BadRequest, "invalid", "A JSON import takes a Bundle of type collection or batch; send resources one per line as application/fhir+ndjson.");
            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is not ("collection" or "batch"))
                return new RecordError(RecordErrorKind.BadRequest, "invalid", "Bundle.type must be collection or batch (a transaction goes to POST /fhir).");
            var items = new List<BulkItem>();
            if (!root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array) return items;
            var index = 0L;
            foreach (var entry in entries.EnumerateArray())
            {
                items.Add(Item(entry, index++, type == "batch"));
            }
            return items;
        }
    }

    static BulkItem Item(JsonElement entry, long index, bool batch)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("resource", out var resource) || resource.ValueKind != JsonValueKind.Object)
            return new BulkItem(index, default, new RecordError(RecordErrorKind.BadRequest, "required", "The entry has no resource."));
        if (batch)
        {
            var request = entry.TryGetProperty("request", out var r) && r.ValueKind == JsonValueKind.Object ? r : default;
            var method = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var url = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            var resourceType = resource.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String ? rt.GetString() : null;
            if (method != "POST" || url != resourceType || request.TryGetProperty("ifNoneExist", out _))
                return new BulkItem(index, default, new RecordError(RecordErrorKind.BadRequest, "not-supported", "An import batch takes only plain creates (request POST [type] of the entry's resource type)."));
        }
        return new BulkItem(index, System.Text.Encoding.UTF8.GetBytes(resource.GetRawText()));
    }
}
