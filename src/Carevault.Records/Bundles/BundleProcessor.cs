using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Carevault.Fhir;
using Carevault.Fhir.Spec;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Records.Http;
using Carevault.Records.Store;

namespace Carevault.Records.Bundles;

/// <summary>Limits of Bundle processing.</summary>
public sealed record BundleOptions
{
    /// <summary>Most entries one transaction or batch may hold (413 beyond).</summary>
    public int MaxEntries { get; init; } = 1000;
}

/// <summary>
/// transaction and batch Bundles (FHIR R4 http.html#transaction): POST, PUT and DELETE entries. A transaction assigns
/// the ids of its creates first, rewrites <c>urn:uuid:</c> references to them, and is written all-or-nothing by the
/// store; a batch runs each entry on its own and reports each outcome. Not yet: GET entries, conditional
/// (<c>ifNoneExist</c>, <c>Type?search</c>) entries and references.
/// </summary>
internal sealed class BundleProcessor(ResourceStore store, FhirSpec spec, BundleOptions options, TimeProvider clock)
{
    sealed record Entry(int Index, string Method, string Type, string Id, JsonElement? Resource, string? FullUrl, long? IfMatch);

    /// <param name="beforeCommit">For a transaction: work that commits with its writes or not at all (the audit record).</param>
    public async Task<RecordResult<string>> ProcessAsync(CallerContext caller, ReadOnlyMemory<byte> body, string baseUrl, CancellationToken ct, BeforeCommit? beforeCommit = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(FhirJson.SkipUtf8Bom(body), new JsonDocumentOptions { MaxDepth = 66 });
        }
        catch (JsonException)
        {
            return Bad("The body is not valid JSON.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var rt) || !rt.ValueEquals("Bundle"))
                return Bad("POST to the base URL takes a Bundle of type transaction or batch.");
            var bundleType = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (bundleType is not ("transaction" or "batch")) return Bad("Bundle.type must be transaction or batch.");
            var rawEntries = root.TryGetProperty("entry", out var e) && e.ValueKind == JsonValueKind.Array ? e : default;
            var count = rawEntries.ValueKind == JsonValueKind.Array ? rawEntries.GetArrayLength() : 0;
            if (count > options.MaxEntries)
                return new RecordError(RecordErrorKind.TooLarge, "too-costly", $"A Bundle may hold at most {options.MaxEntries} entries.");

            var entries = new List<Entry>(count);
            var index = 0;
            if (count > 0)
            {
                foreach (var raw in rawEntries.EnumerateArray())
                {
                    var parsed = ParseEntry(caller, raw, index++);
                    if (parsed.Error is { } error) return error;
                    entries.Add(parsed.Value!);
                }
            }
            return bundleType == "transaction"
                ? await TransactionAsync(caller, entries, baseUrl, beforeCommit, ct)
                : await BatchAsync(caller, entries, baseUrl, ct);
        }
    }

    RecordResult<Entry> ParseEntry(CallerContext caller, JsonElement raw, int index)
    {
        var at = $"Bundle.entry[{index.ToString(CultureInfo.InvariantCulture)}]";
        if (raw.ValueKind != JsonValueKind.Object || !raw.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
            return Bad($"{at}.request is required.");
        var method = request.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        var url = request.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "";
        if (request.TryGetProperty("ifNoneExist", out _) || request.TryGetProperty("ifNoneMatch", out _) || request.TryGetProperty("ifModifiedSince", out _) || url.Contains('?', StringComparison.Ordinal))
            return new RecordError(RecordErrorKind.BadRequest, "not-supported", $"{at}: conditional interactions are not supported yet.");
        long? ifMatch = null;
        if (request.TryGetProperty("ifMatch", out var im))
        {
            var text = im.ValueKind == JsonValueKind.String ? im.GetString()! : "";
            if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
            if (!long.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return Bad($"{at}.request.ifMatch must be a version ETag.");
            ifMatch = v;
        }
        var segments = url.Split('/');
        var type = segments[0];
        if (!FhirRequest.IsSupportedType(spec, type)) return Bad($"{at}.request.url does not name a resource type this server stores.");
        JsonElement? resource = raw.TryGetProperty("resource", out var r) ? r : null;
        var fullUrl = raw.TryGetProperty("fullUrl", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        var (permission, id) = (method, segments.Length) switch
        {
            ("POST", 1) => (ScopePermissions.Create, store.NewId()),
            ("PUT", 2) when ResourceIds.IsValid(segments[1]) => (ScopePermissions.Update, segments[1]),
            ("DELETE", 2) when ResourceIds.IsValid(segments[1]) => (ScopePermissions.Delete, segments[1]),
            _ => (ScopePermissions.None, ""),
        };
        if (permission == ScopePermissions.None)
            return new RecordError(RecordErrorKind.BadRequest, "not-supported", $"{at}: only POST [type], PUT [type]/[id] and DELETE [type]/[id] entries are supported.");
        if (permission != ScopePermissions.Delete && resource is not { ValueKind: JsonValueKind.Object }) return Bad($"{at}.resource is required for {method}.");
        if (!caller.Scopes.Allows(ScopeContext.System, type, permission))
            return new RecordError(RecordErrorKind.Forbidden, "forbidden", $"{at}: the token's scopes do not allow {permission.ToString().ToLowerInvariant()} on {type}.");
        return new Entry(index, method, type, id, resource, fullUrl, ifMatch);
    }

    async Task<RecordResult<string>> TransactionAsync(CallerContext caller, List<Entry> entries, string baseUrl, BeforeCommit? beforeCommit, CancellationToken ct)
    {
        // FHIR R4 bundle.html#references: a urn:uuid fullUrl of a create names the resource the server will assign.
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Method != "POST" || entry.FullUrl is null) continue;
            if (!entry.FullUrl.StartsWith("urn:uuid:", StringComparison.Ordinal) || !assigned.TryAdd(entry.FullUrl, $"{entry.Type}/{entry.Id}"))
                return Bad($"Bundle.entry[{entry.Index}].fullUrl must be a unique urn:uuid for a create.");
        }
        var writes = entries.Select(e => new TransactionWrite(e.Method, e.Type, e.Id, e.Resource is { } r ? Rewrite(r, assigned) : default, e.IfMatch)).ToList();
        var result = await store.TransactionAsync(caller.TenantId, writes, ct, beforeCommit);
        if (result.Error is { } error) return error;
        var stored = result.Value!;
        return BundleResponse("transaction-response", baseUrl, entries.Select((e, i) => (e, (StoredResource?)stored[i], (RecordError?)null)).ToList());
    }

    async Task<RecordResult<string>> BatchAsync(CallerContext caller, List<Entry> entries, string baseUrl, CancellationToken ct)
    {
        var outcomes = new List<(Entry, StoredResource?, RecordError?)>(entries.Count);
        foreach (var entry in entries)
        {
            var write = new TransactionWrite(entry.Method, entry.Type, entry.Id, entry.Resource is { } r ? Rewrite(r, null) : default, entry.IfMatch);
            var result = await store.TransactionAsync(caller.TenantId, [write], ct);
            outcomes.Add((entry, result.Value?[0], result.Error));
        }
        return BundleResponse("batch-response", baseUrl, outcomes);
    }

    /// <summary>The resource's JSON with every string equal to an assigned urn:uuid replaced by <c>Type/id</c>.</summary>
    static ReadOnlyMemory<byte> Rewrite(JsonElement resource, Dictionary<string, string>? assigned)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (assigned is null || assigned.Count == 0) resource.WriteTo(writer);
            else Copy(resource, writer, assigned);
        }
        return buffer.WrittenMemory;
    }

    static void Copy(JsonElement element, Utf8JsonWriter writer, Dictionary<string, string> assigned)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    Copy(property.Value, writer, assigned);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Copy(item, writer, assigned);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String when element.GetString() is { } text && text.StartsWith("urn:uuid:", StringComparison.Ordinal) && assigned.TryGetValue(text, out var target):
                writer.WriteStringValue(target);
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    string BundleResponse(string type, string baseUrl, List<(Entry Entry, StoredResource? Stored, RecordError? Error)> outcomes) => FhirResult.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString("N"));
        w.WriteString("type", type);
        w.WriteString("timestamp", ResourceBody.FormatInstant(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        w.WriteStartArray("entry");
        foreach (var (entry, stored, error) in outcomes)
        {
            w.WriteStartObject();
            if (stored is not null && !stored.Deleted)
            {
                w.WriteString("fullUrl", $"{baseUrl}/{stored.ResourceType}/{stored.Id}");
                w.WritePropertyName("resource");
                w.WriteRawValue(stored.Body, skipInputValidation: true);
            }
            w.WriteStartObject("response");
            if (stored is not null)
            {
                w.WriteString("status", entry.Method switch { "POST" => "201 Created", "DELETE" => "204 No Content", _ => "200 OK" });
                if (entry.Method != "DELETE") w.WriteString("location", $"{stored.ResourceType}/{stored.Id}/_history/{stored.VersionId.ToString(CultureInfo.InvariantCulture)}");
                w.WriteString("etag", stored.ETag);
                w.WriteString("lastModified", ResourceBody.FormatInstant(stored.LastUpdated));
            }
            else if (error is not null)
            {
                w.WriteString("status", OperationOutcomes.StatusOf(error.Kind).ToString(CultureInfo.InvariantCulture));
                w.WritePropertyName("outcome");
                w.WriteRawValue(OperationOutcomes.Write(Guid.NewGuid().ToString("N"), "error", error.Code, error.Message, error.Issues), skipInputValidation: true);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    static RecordError Bad(string message) => new(RecordErrorKind.BadRequest, "invalid", message);
}
