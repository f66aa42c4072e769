using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Carevault.Fhir;
using Carevault.Fhir.Spec;
using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Http;
using Carevault.Records.Search;
using Carevault.Records.Store;

namespace Carevault.Records.Bundles;

/// <summary>Limits of Bundle processing.</summary>
public sealed record BundleOptions
{
    /// <summary>Most entries one transaction or batch may hold (413 beyond).</summary>
    public int MaxEntries { get; init; } = 1000;
}

/// <summary>
/// transaction and batch Bundles (FHIR R4 http.html#transaction): POST, PUT and DELETE entries, conditional ones too
/// (<c>request.ifNoneExist</c>, <c>PUT/DELETE Type?search</c>) and conditional references (<c>Patient?identifier=…</c>).
/// A transaction assigns the ids of its creates first; the store resolves the conditions, rewrites <c>urn:uuid:</c>
/// and conditional references to the resources they resolved to, and writes all-or-nothing. A batch runs each entry
/// on its own and reports each outcome. Not yet: GET entries, ifNoneMatch, ifModifiedSince.
/// </summary>
internal sealed class BundleProcessor(ResourceStore store, FhirSpec spec, SearchQueryParser parser, BundleOptions options, TimeProvider clock, FhirAccess? access = null)
{
    // The one access policy, also when constructed without DI (tests): never a bypass.
    readonly FhirAccess _access = access ?? new FhirAccess(new OwnershipRules(spec));

    /// <param name="Permit">What the access policy allowed for this entry; null only for an entry that failed to read.</param>
    sealed record Entry(int Index, string Method, string Type, string Id, JsonElement? Resource, string? FullUrl, long? IfMatch, SearchQuery? IfNoneExist, SearchQuery? Condition, FhirPermit? Permit)
    {
        /// <summary>In a batch: why the entry could not be read (it is reported, not run).</summary>
        public RecordError? Failure { get; init; }
    }

    /// <param name="beforeCommit">For a transaction: work that commits with its writes or not at all (an ingestion job's
    /// completion, the audit record). A batch's entries commit one by one, without it.</param>
    /// <param name="entryCommit">For a batch: the work each entry's own transaction does before it commits (the entry's
    /// audit record), given the entry's index and method; null or a null hook for none.</param>
    public async Task<RecordResult<string>> ProcessAsync(CallerContext caller, ReadOnlyMemory<byte> body, string baseUrl, CancellationToken ct, BeforeCommit? beforeCommit = null,
        Func<int, string, BeforeCommit?>? entryCommit = null)
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
                    // A transaction fails as a whole; a batch reports a bad entry in its place and runs the others.
                    if (parsed.Error is { } error && bundleType == "transaction") return error;
                    entries.Add(parsed.Value ?? new Entry(index - 1, "", "", "", null, null, null, null, null, null) { Failure = parsed.Error });
                }
            }
            return bundleType == "transaction"
                ? await TransactionAsync(caller, entries, baseUrl, beforeCommit, ct)
                : await BatchAsync(caller, entries, baseUrl, entryCommit, ct);
        }
    }

    RecordResult<Entry> ParseEntry(CallerContext caller, JsonElement raw, int index)
    {
        var at = $"Bundle.entry[{index.ToString(CultureInfo.InvariantCulture)}]";
        if (raw.ValueKind != JsonValueKind.Object || !raw.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
            return Bad($"{at}.request is required.");
        var method = request.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        var url = request.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "";
        if (request.TryGetProperty("ifNoneMatch", out _) || request.TryGetProperty("ifModifiedSince", out _))
            return new RecordError(RecordErrorKind.BadRequest, "not-supported", $"{at}: ifNoneMatch and ifModifiedSince are not supported.");
        var question = url.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? url : url[..question];
        long? ifMatch = null;
        if (request.TryGetProperty("ifMatch", out var im))
        {
            var text = im.ValueKind == JsonValueKind.String ? im.GetString()! : "";
            if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
            if (!long.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return Bad($"{at}.request.ifMatch must be a version ETag.");
            ifMatch = v;
        }
        var segments = path.Split('/');
        var type = segments[0];
        if (!FhirRequest.IsSupportedType(spec, type)) return Bad($"{at}.request.url does not name a resource type this server stores.");
        SearchQuery? ifNoneExist = null, condition = null;
        if (request.TryGetProperty("ifNoneExist", out var ine))
        {
            if (method != "POST" || ine.ValueKind != JsonValueKind.String) return Bad($"{at}.request.ifNoneExist is a search string on a POST entry.");
            var parsed = ParseCondition(caller, type, ine.GetString()!, $"{at}.request.ifNoneExist");
            if (parsed.Error is { } error) return error;
            ifNoneExist = parsed.Value;
        }
        if (question >= 0)
        {
            if (method is not ("PUT" or "DELETE") || segments.Length != 1) return Bad($"{at}.request.url: only PUT and DELETE take a conditional url [type]?[search].");
            var parsed = ParseCondition(caller, type, url[(question + 1)..], $"{at}.request.url");
            if (parsed.Error is { } error) return error;
            condition = parsed.Value;
        }
        JsonElement? resource = raw.TryGetProperty("resource", out var r) ? r : null;
        var fullUrl = raw.TryGetProperty("fullUrl", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        var (permission, id) = (method, segments.Length) switch
        {
            ("POST", 1) => (ScopePermissions.Create, store.NewId()),
            ("PUT", 2) when ResourceIds.IsValid(segments[1]) => (ScopePermissions.Update, segments[1]),
            ("DELETE", 2) when ResourceIds.IsValid(segments[1]) => (ScopePermissions.Delete, segments[1]),
            // Conditional: the target is found by the store; a conditional update that creates gets this id.
            ("PUT", 1) when condition is not null => (ScopePermissions.Update, store.NewId()),
            ("DELETE", 1) when condition is not null => (ScopePermissions.Delete, ""),
            _ => (ScopePermissions.None, ""),
        };
        if (permission == ScopePermissions.None)
            return new RecordError(RecordErrorKind.BadRequest, "not-supported", $"{at}: only POST [type], PUT [type]/[id] and DELETE [type]/[id] entries are supported.");
        if (permission != ScopePermissions.Delete && resource is not { ValueKind: JsonValueKind.Object }) return Bad($"{at}.resource is required for {method}.");
        // The same decision as the single interaction (scopes and access policy by type); per-target checks follow.
        var decided = _access.Decide(caller, type, ClinicalActions.FromPermission(permission));
        if (decided.Error is { } denied) return denied with { Message = $"{at}: {denied.Message}" };
        if ((ifNoneExist ?? condition) is not null)
        {
            // A condition searches: it tells whether matching resources exist, so it needs search too; and its target is
            // found inside the store, where no per-target check runs, so the write must not depend on the target.
            if (ConditionDenied(caller, type, $"{at}: a conditional entry") is { } conditionDenied) return conditionDenied;
            if (decided.Value!.PerTarget)
                return new RecordError(RecordErrorKind.Forbidden, "forbidden", $"{at}: this caller's access depends on the target; write it by id.");
        }
        return new Entry(index, method, type, id, resource, fullUrl, ifMatch, ifNoneExist, condition, decided.Value!);
    }

    async Task<RecordResult<string>> TransactionAsync(CallerContext caller, List<Entry> entries, string baseUrl, BeforeCommit? beforeCommit, CancellationToken ct)
    {
        // FHIR R4 bundle.html#references: a urn:uuid fullUrl of a create names the resource the server will assign.
        // References to another entry's fullUrl are rewritten to the resource that entry ends up as.
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.FullUrl is null || entry.Method == "DELETE") continue;
            if (!fullUrls.Add(entry.FullUrl)) return Bad($"Bundle.entry[{entry.Index}].fullUrl must be unique.");
        }
        var references = ConditionalReferences(caller, entries);
        if (references.Error is { } referenceError) return referenceError;
        var writes = entries.Select(e => Write(e, e.Method == "DELETE" ? null : e.FullUrl)).ToList();
        for (var i = 0; i < writes.Count; i++)
        {
            var guarded = await GuardAsync(entries[i], writes[i], ct);
            if (guarded.Error is { } denied) return denied;
            writes[i] = guarded.Value!;
        }
        var result = await store.ExecuteAsync(caller.TenantId, writes, references.Value!, ct, beforeCommit);
        if (result.Error is { } error) return error;
        var stored = result.Value!;
        return BundleResponse("transaction-response", baseUrl, entries.Select((e, i) => (e, (WriteResult?)stored[i], (RecordError?)null)).ToList());
    }

    async Task<RecordResult<string>> BatchAsync(CallerContext caller, List<Entry> entries, string baseUrl, Func<int, string, BeforeCommit?>? entryCommit, CancellationToken ct)
    {
        var outcomes = new List<(Entry, WriteResult?, RecordError?)>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Failure is { } failure)
            {
                outcomes.Add((entry, null, failure));
                continue;
            }
            var references = ConditionalReferences(caller, [entry]);
            if (references.Error is { } referenceError)
            {
                outcomes.Add((entry, null, referenceError));
                continue;
            }
            var guarded = await GuardAsync(entry, Write(entry, null), ct);
            if (guarded.Error is { } denied)
            {
                outcomes.Add((entry, null, denied));
                continue;
            }
            var result = await store.ExecuteAsync(caller.TenantId, [guarded.Value!], references.Value!, ct, entryCommit?.Invoke(entry.Index, entry.Method));
            outcomes.Add((entry, result.Value?[0], result.Error is { } e ? e with { Message = e.Message.Replace("Bundle.entry[0]", $"Bundle.entry[{entry.Index}]", StringComparison.Ordinal) } : null));
        }
        return BundleResponse("batch-response", baseUrl, outcomes);
    }

    /// <summary>
    /// A condition is a search of <paramref name="type"/>: the caller must be allowed to search it everywhere (a search
    /// confined to a compartment would make the condition mean something else); null when allowed.
    /// </summary>
    RecordError? ConditionDenied(CallerContext caller, string type, string what)
    {
        var search = _access.Decide(caller, type, ClinicalAction.Search);
        if (search.Error is { } error) return error with { Message = $"{what} needs search on {type}: {error.Message}" };
        return search.Value!.PerTarget ? new RecordError(RecordErrorKind.Forbidden, "forbidden", $"{what} needs search on all of {type}.") : null;
    }

    /// <summary>The per-target access checks of one entry (see <see cref="FhirPermit"/>); the write to make, or why not.</summary>
    async Task<RecordResult<TransactionWrite>> GuardAsync(Entry entry, TransactionWrite write, CancellationToken ct)
    {
        var at = $"Bundle.entry[{entry.Index.ToString(CultureInfo.InvariantCulture)}]";
        if (write.Method == "POST")
            return entry.Permit!.Check(null, write.Body) is { } denied ? denied with { Message = $"{at}: {denied.Message}" } : write;
        if (write.Condition is not null) return write; // not target-dependent: refused in ParseEntry otherwise
        var guarded = await entry.Permit!.CheckWriteAsync(store, write.Id, write.Method == "PUT" ? write.Body : null, write.IfMatch, ct);
        if (guarded.Error is { } error) return error with { Message = $"{at}: {error.Message}" };
        return write with { IfMatch = guarded.Value };
    }

    static TransactionWrite Write(Entry entry, string? fullUrl)
    {
        var body = default(ReadOnlyMemory<byte>);
        if (entry.Resource is { } resource)
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            using (var writer = new Utf8JsonWriter(buffer)) resource.WriteTo(writer);
            body = buffer.WrittenMemory;
        }
        return new TransactionWrite(entry.Method, entry.Type, entry.Id, body, entry.IfMatch) { IfNoneExist = entry.IfNoneExist, Condition = entry.Condition, FullUrl = fullUrl };
    }

    /// <summary>
    /// Every <c>reference</c> of the form <c>Type?search</c> in the entries' resources (FHIR R4 http.html#trules), parsed;
    /// the store resolves each to its one match. Resolving searches, so the type needs the search scope.
    /// </summary>
    RecordResult<IReadOnlyList<ConditionalReference>> ConditionalReferences(CallerContext caller, List<Entry> entries)
    {
        var found = new Dictionary<string, ConditionalReference>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Resource is not { } resource) continue;
            foreach (var text in ReferenceStrings(resource))
            {
                var question = text.IndexOf('?', StringComparison.Ordinal);
                if (question <= 0 || found.ContainsKey(text)) continue;
                var at = $"Bundle.entry[{entry.Index.ToString(CultureInfo.InvariantCulture)}]";
                var type = text[..question];
                // A type this server does not store cannot be resolved here: the reference is kept as written, like a
                // reference to another server (Synthea's Location and Organization references).
                if (!FhirRequest.IsSupportedType(spec, type)) continue;
                if (ConditionDenied(caller, type, $"{at}: a conditional reference") is { } denied) return denied;
                var parsed = ParseCondition(caller, type, text[(question + 1)..], $"{at}: a conditional reference");
                if (parsed.Error is { } error) return error;
                found.Add(text, new ConditionalReference(text, entry.Index, parsed.Value!));
            }
        }
        return found.Values.ToList();
    }

    static IEnumerable<string> ReferenceStrings(JsonElement element)
    {
        var stack = new Stack<JsonElement>();
        stack.Push(element);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (current.ValueKind == JsonValueKind.Array)
                foreach (var item in current.EnumerateArray()) stack.Push(item);
            else if (current.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in current.EnumerateObject())
                {
                    if (property.NameEquals("reference") && property.Value.ValueKind == JsonValueKind.String) yield return property.Value.GetString()!;
                    else if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array) stack.Push(property.Value);
                }
            }
        }
    }

    /// <summary>A condition's search string, parsed strictly: an unknown parameter must not widen what it matches.</summary>
    RecordResult<SearchQuery> ParseCondition(CallerContext caller, string type, string search, string at)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(search.StartsWith('?') ? search : "?" + search))
            foreach (var value in values) pairs.Add(new(name, value ?? ""));
        var parsed = parser.Parse(type, pairs, strict: true);
        if (parsed.Error is { } error) return error with { Message = $"{at}: {error.Message}" };
        if (parsed.Value!.Criteria.Count == 0) return Bad($"{at} needs at least one search criterion.");
        if (_access.Decide(caller, type, ClinicalAction.Search).Value?.CheckReach(parsed.Value) is { } unreachable) return unreachable with { Message = $"{at}: {unreachable.Message}" };
        return parsed.Value;
    }

    string BundleResponse(string type, string baseUrl, List<(Entry Entry, WriteResult? Written, RecordError? Error)> outcomes) => FhirResult.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString("N"));
        w.WriteString("type", type);
        w.WriteString("timestamp", ResourceBody.FormatInstant(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        w.WriteStartArray("entry");
        foreach (var (entry, written, error) in outcomes)
        {
            var stored = written?.Resource;
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
                w.WriteString("status", written!.Outcome switch { WriteOutcome.Created => "201 Created", WriteOutcome.Deleted => "204 No Content", _ => "200 OK" });
                if (written.Outcome != WriteOutcome.Deleted) w.WriteString("location", $"{stored.ResourceType}/{stored.Id}/_history/{stored.VersionId.ToString(CultureInfo.InvariantCulture)}");
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
