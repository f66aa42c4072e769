using System.Text.Json;
using System.Text.Json.Nodes;

namespace Carevault.Records.Store;

/// <summary>
/// JSON Patch (RFC 6902) over JSON Pointers (RFC 6901): add, remove, replace, move, copy, test. <see cref="Parse"/>
/// refuses a malformed document (400); <see cref="Apply"/> refuses a patch that does not fit the resource — a missing
/// path, a failed test (RFC 6902 §5: the whole patch fails) — as unprocessable (422). Messages name operations by
/// index and never echo values.
/// </summary>
internal static class JsonPatch
{
    public sealed record Operation(string Op, string[] Path, string[]? From, JsonNode? Value);

    const int MaxOperations = 1000;

    public static RecordResult<IReadOnlyList<Operation>> Parse(ReadOnlyMemory<byte> body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(Carevault.Fhir.FhirJson.SkipUtf8Bom(body).Span, documentOptions: new JsonDocumentOptions { MaxDepth = 65 });
        }
        catch (JsonException)
        {
            return Bad("The patch is not valid JSON.");
        }
        if (root is not JsonArray array) return Bad("A JSON Patch is an array of operations (RFC 6902 §3).");
        if (array.Count > MaxOperations) return Bad($"A patch may hold at most {MaxOperations} operations.");
        var operations = new List<Operation>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject item) return Bad($"Operation {i} is not an object.");
            var op = item["op"] is JsonValue o && o.TryGetValue<string>(out var opText) ? opText : null;
            if (op is not ("add" or "remove" or "replace" or "move" or "copy" or "test")) return Bad($"Operation {i}: op must be add, remove, replace, move, copy or test.");
            var path = Pointer(item["path"]);
            if (path is null) return Bad($"Operation {i}: path must be a JSON Pointer.");
            string[]? from = null;
            if (op is "move" or "copy")
            {
                from = Pointer(item["from"]);
                if (from is null) return Bad($"Operation {i}: from must be a JSON Pointer.");
            }
            if (op is "add" or "replace" or "test" && !item.ContainsKey("value")) return Bad($"Operation {i}: value is required for {op}.");
            operations.Add(new Operation(op, path, from, item["value"]?.DeepClone()));
        }
        return operations;
    }

    /// <summary>RFC 6901: "" is the whole document; else "/"-separated tokens with ~1 → "/" and ~0 → "~".</summary>
    static string[]? Pointer(JsonNode? node)
    {
        if (node is not JsonValue value || !value.TryGetValue<string>(out var text)) return null;
        if (text.Length == 0) return [];
        if (text[0] != '/') return null;
        return text[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>Applies the operations to a copy of <paramref name="document"/>; the patched document or why it failed.</summary>
    public static RecordResult<JsonNode> Apply(JsonNode document, IReadOnlyList<Operation> operations)
    {
        var root = document.DeepClone();
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            if (operation.Path.Length == 0) return Unprocessable(i, "replacing the whole resource is an update, not a patch.");
            string? error = operation.Op switch
            {
                "add" => Add(root, operation.Path, operation.Value?.DeepClone()),
                "remove" => Remove(root, operation.Path, out _),
                "replace" => Remove(root, operation.Path, out _) ?? Add(root, operation.Path, operation.Value?.DeepClone()),
                "move" => Move(root, operation.From!, operation.Path),
                "copy" => Find(root, operation.From!) is var (found, source) && found ? Add(root, operation.Path, source?.DeepClone()) : "from does not exist.",
                _ => Find(root, operation.Path) is var (exists, current) && exists && JsonNode.DeepEquals(current, operation.Value) ? null : "the test failed.",
            };
            if (error is not null) return Unprocessable(i, error);
        }
        return root;
    }

    static string? Move(JsonNode root, string[] from, string[] path)
    {
        // RFC 6902 §4.4: from must not be a proper prefix of path.
        if (path.Length > from.Length && from.SequenceEqual(path.Take(from.Length))) return "cannot move a value into itself.";
        var error = Remove(root, from, out var value);
        return error ?? Add(root, path, value);
    }

    static (bool Found, JsonNode? Node) Find(JsonNode root, string[] path)
    {
        JsonNode? current = root;
        foreach (var token in path)
        {
            switch (current)
            {
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    current = child;
                    break;
                case JsonArray array when Index(token, array.Count, allowEnd: false) is { } index:
                    current = array[index];
                    break;
                default:
                    return (false, null);
            }
        }
        return (true, current);
    }

    static string? Add(JsonNode root, string[] path, JsonNode? value)
    {
        var (found, parent) = Find(root, path[..^1]);
        if (!found) return "the path's parent does not exist.";
        var last = path[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                return null;
            case JsonArray array:
                if (Index(last, array.Count, allowEnd: true) is not { } index) return "the array index is out of range.";
                array.Insert(index, value);
                return null;
            default:
                return "the path's parent is not an object or array.";
        }
    }

    static string? Remove(JsonNode root, string[] path, out JsonNode? removed)
    {
        removed = null;
        var (found, parent) = Find(root, path[..^1]);
        if (!found) return "the path does not exist.";
        var last = path[^1];
        switch (parent)
        {
            case JsonObject obj when obj.TryGetPropertyValue(last, out var value):
                obj.Remove(last);
                removed = value;
                return null;
            case JsonArray array when Index(last, array.Count, allowEnd: false) is { } index:
                removed = array[index];
                array.RemoveAt(index);
                return null;
            default:
                return "the path does not exist.";
        }
    }

    /// <summary>RFC 6901 §4: decimal without leading zeros; "-" is the end of the array (only where adding).</summary>
    static int? Index(string token, int count, bool allowEnd)
    {
        if (token == "-") return allowEnd ? count : null;
        if (token.Length == 0 || token.Length > 9 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit)) return null;
        var index = int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
        return index < count || (allowEnd && index == count) ? index : null;
    }

    static RecordError Bad(string message) => new(RecordErrorKind.BadRequest, "invalid", message);

    static RecordError Unprocessable(int index, string message) => new(RecordErrorKind.Unprocessable, "processing", $"Patch operation {index}: {message}");
}
