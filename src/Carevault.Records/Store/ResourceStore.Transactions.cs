using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carevault.Records.Search;
using Carevault.Storage;
using Dapper;

namespace Carevault.Records.Store;

/// <summary>One write of a transaction: ids of plain creates assigned up front, conditions still to resolve.</summary>
/// <param name="Method">POST, PUT or DELETE.</param>
/// <param name="Id">For POST the id assigned up front (so other entries can point at it); else the target id
/// (ignored when <see cref="Condition"/> names the target).</param>
public sealed record TransactionWrite(string Method, string ResourceType, string Id, ReadOnlyMemory<byte> Body, long? IfMatch)
{
    /// <summary>POST only: create only when this search finds nothing; one match is kept as it is (FHIR R4 http.html#ccreate).</summary>
    public SearchQuery? IfNoneExist { get; init; }

    /// <summary>PUT and DELETE: the target is the one match of this search (http.html#cond-update, #cdelete).</summary>
    public SearchQuery? Condition { get; init; }

    /// <summary>The entry's <c>urn:uuid:</c> fullUrl: other entries' references to it are rewritten to the resource it ends up as.</summary>
    public string? FullUrl { get; init; }
}

/// <summary>A conditional reference (<c>Patient?identifier=…</c>, FHIR R4 http.html#trules) and the entry that first uses it.</summary>
public sealed record ConditionalReference(string Reference, int Entry, SearchQuery Query);

/// <summary>What a write did: created, updated, deleted, or matched an existing resource (conditional create).</summary>
public enum WriteOutcome { Created, Updated, Deleted, Matched }

/// <summary>One write's stored version and what happened.</summary>
public sealed record WriteResult(StoredResource Resource, WriteOutcome Outcome);

/// <summary>
/// Work another module does inside a store transaction, after its writes and before the commit (e.g. an ingestion job
/// marked completed with the resources it created): both commit or neither. Return an error to roll everything back.
/// </summary>
public delegate Task<RecordError?> BeforeCommit(DbConnection connection, DbTransaction transaction, IReadOnlyList<StoredResource> written, CancellationToken ct);

public sealed partial class ResourceStore
{
    /// <summary>A fresh server id, for writes whose id must be known before they are stored (transaction creates).</summary>
    public string NewId() => ResourceIds.New(_clock);

    /// <summary>
    /// Writes every entry or none (FHIR R4 http.html#trules): all entries are validated first, then written in one
    /// database transaction; the first failure rolls everything back and names its entry.
    /// </summary>
    public async Task<RecordResult<IReadOnlyList<StoredResource>>> TransactionAsync(string tenantId, IReadOnlyList<TransactionWrite> writes, CancellationToken ct,
        BeforeCommit? beforeCommit = null)
    {
        var result = await ExecuteAsync(tenantId, writes, [], ct, beforeCommit);
        if (result.Error is { } error) return error;
        return result.Value!.Select(r => r.Resource).ToList();
    }

    /// <summary>
    /// The transaction with conditions: inside one database transaction it resolves each write's condition
    /// (<c>ifNoneExist</c>, <c>PUT/DELETE Type?search</c>) and each conditional reference to exactly one resource,
    /// rewrites <c>urn:uuid:</c> fullUrls and conditional references to the resources they resolved to, validates,
    /// and writes. Concurrency (decision 0009): conditions are resolved under a lock — SQLite's write lock (every
    /// transaction is <c>BEGIN IMMEDIATE</c>), a PostgreSQL transaction advisory lock per (tenant, type, criteria) —
    /// so two transactions with the same condition run one after the other and the second sees the first's create.
    /// </summary>
    public async Task<RecordResult<IReadOnlyList<WriteResult>>> ExecuteAsync(string tenantId, IReadOnlyList<TransactionWrite> writes,
        IReadOnlyList<ConditionalReference> conditionalReferences, CancellationToken ct, BeforeCommit? beforeCommit = null)
    {
        return await _db.WriteAsync(async (connection, transaction, ct) =>
        {
            // Every early return below is an error, and an error stores nothing.
            var result = await WriteEntriesAsync(connection, transaction, tenantId, writes, conditionalReferences, beforeCommit, ct);
            return (result, result.IsSuccess);
        }, ct);
    }

    async Task<RecordResult<IReadOnlyList<WriteResult>>> WriteEntriesAsync(DbConnection connection, DbTransaction transaction, string tenantId, IReadOnlyList<TransactionWrite> writes,
        IReadOnlyList<ConditionalReference> conditionalReferences, BeforeCommit? beforeCommit, CancellationToken ct)
    {
        var documents = new JsonDocument?[writes.Count];
        try
        {
            await LockConditionsAsync(connection, transaction, tenantId, writes, ct);

            // 1. Resolve conditions: the id each write ends at, and whether a conditional create matched.
            var ids = new string[writes.Count];
            var matched = new StoredResource?[writes.Count];
            var creates = new bool[writes.Count];
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                ids[i] = write.Id;
                creates[i] = write.Method == "POST";
                var condition = write.IfNoneExist ?? write.Condition;
                if (condition is not null)
                {
                    var found = await FindAsync(connection, transaction, tenantId, condition, ct);
                    if (found.Count > 1)
                        return AtEntry(new RecordError(RecordErrorKind.PreconditionFailed, "multiple-matches", "The search criteria match more than one resource."), i);
                    if (write.Method == "POST" && found.Count == 1)
                    {
                        matched[i] = found[0];
                        ids[i] = found[0].Id;
                        creates[i] = false;
                    }
                    else if (write.Method == "DELETE" && found.Count == 0)
                        return AtEntry(new RecordError(RecordErrorKind.NotFound, "not-found", "The search criteria match no resource."), i);
                    else if (write.Method is "PUT" or "DELETE" && found.Count == 1)
                        ids[i] = found[0].Id;
                    else if (write.Method == "PUT")
                        creates[i] = true; // no match: create (http.html#cond-update), with the id assigned up front
                }
                if (write.FullUrl is not null && !map.TryAdd(write.FullUrl, $"{write.ResourceType}/{ids[i]}"))
                    return AtEntry(new RecordError(RecordErrorKind.BadRequest, "invalid", "Two entries have the same fullUrl."), i);
            }
            foreach (var reference in conditionalReferences)
            {
                var found = await FindAsync(connection, transaction, tenantId, reference.Query, ct);
                if (found.Count != 1)
                {
                    return AtEntry(found.Count == 0
                        ? new RecordError(RecordErrorKind.BadRequest, "not-found", "A conditional reference matches no resource.")
                        : new RecordError(RecordErrorKind.PreconditionFailed, "multiple-matches", "A conditional reference matches more than one resource."), reference.Entry);
                }
                map[reference.Reference] = $"{reference.Query.ResourceType}/{found[0].Id}";
            }

            // 2. Rewrite, parse, validate and index (a matched conditional create is left as it is: http.html#ccreate).
            var rows = new IndexRows?[writes.Count];
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                if (write.Method == "DELETE" || matched[i] is not null) continue;
                var body = map.Count == 0 ? write.Body : ReferenceRewriter.Rewrite(write.Body, map);
                var parsed = _validation.Parse(write.ResourceType, body);
                if (parsed.Error is { } error) return AtEntry(error, i);
                documents[i] = parsed.Value;
                var root = parsed.Value!.RootElement;
                if (write.Method == "PUT" && BodyIdError(root, ids[i], write.Condition is not null, creates[i]) is { } idError) return AtEntry(idError, i);
                rows[i] = _indexer.Extract(root);
            }

            // 3. Write.
            var results = new List<WriteResult>(writes.Count);
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                if (matched[i] is { } existing)
                {
                    results.Add(new WriteResult(existing, WriteOutcome.Matched));
                    continue;
                }
                var document = documents[i];
                if (creates[i])
                {
                    var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
                    var stored = new StoredResource(write.ResourceType, ids[i], 1, now, false, ResourceBody.Stamp(document!.RootElement, ids[i], 1, now));
                    await InsertAsync(connection, transaction, tenantId, stored, rows[i]!, ct);
                    results.Add(new WriteResult(stored, WriteOutcome.Created));
                    continue;
                }
                var id = ids[i];
                Func<long, long, string>? stamp = document is null ? null : (version, now) => ResourceBody.Stamp(document.RootElement, id, version, now);
                var (result, _) = await NextVersionAsync(connection, transaction, tenantId, write.ResourceType, id, write.IfMatch, stamp, rows[i], ct);
                if (result.Error is { } error) return AtEntry(error, i);
                results.Add(new WriteResult(result.Value!, write.Method == "DELETE" ? WriteOutcome.Deleted : WriteOutcome.Updated));
            }
            if (beforeCommit is not null && await beforeCommit(connection, transaction, results.Select(r => r.Resource).ToList(), ct) is { } hookError)
                return hookError;
            return results;
        }
        finally
        {
            foreach (var document in documents) document?.Dispose();
        }
    }

    /// <summary>FHIR R4 http.html#update and #cond-update: the body's id must name the target (a conditional update may omit it).</summary>
    static RecordError? BodyIdError(JsonElement root, string id, bool conditional, bool creating)
    {
        var hasId = root.TryGetProperty("id", out var bodyId);
        if (conditional && !hasId) return null;
        if (conditional && creating)
            return new RecordError(RecordErrorKind.MethodNotAllowed, "not-supported", "Nothing matches and the body names an id: this server assigns ids.");
        if (bodyId.ValueKind != JsonValueKind.String || !bodyId.ValueEquals(id))
            return new RecordError(RecordErrorKind.BadRequest, "invalid", conditional ? "The body's id must be the matching resource's id." : "The body's id must equal the id in the request url.");
        return null;
    }

    /// <summary>Up to two current matches of a condition, inside the transaction (two are enough to tell "more than one").</summary>
    async Task<List<StoredResource>> FindAsync(DbConnection connection, DbTransaction transaction, string tenantId, SearchQuery condition, CancellationToken ct)
    {
        var sql = SearchSql.Build(tenantId, condition with { Count = 1, After = null }, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql.PageSql, sql.Parameters, transaction, cancellationToken: ct));
        return rows.Select(r => ToResource(condition.ResourceType, r)).ToList();
    }

    /// <summary>
    /// Serializes transactions that resolve the same condition. SQLite needs nothing: its transactions take the write
    /// lock at BEGIN. PostgreSQL (read committed) gets a transaction-scoped advisory lock per (tenant, type, criteria),
    /// taken in key order so two transactions never wait on each other in a cycle; the search that follows the lock
    /// sees whatever the previous holder committed.
    /// </summary>
    async Task LockConditionsAsync(DbConnection connection, DbTransaction transaction, string tenantId, IReadOnlyList<TransactionWrite> writes, CancellationToken ct)
    {
        if (_db.Provider != DatabaseProvider.Postgres) return;
        var keys = new SortedSet<long>();
        foreach (var write in writes)
            if ((write.IfNoneExist ?? write.Condition) is { } condition) keys.Add(LockKey(tenantId, condition));
        foreach (var key in keys)
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key }, transaction, cancellationToken: ct));
    }

    /// <summary>A 64-bit key from the tenant, type and criteria in a canonical order (hashed: the criteria may hold identifiers).</summary>
    internal static long LockKey(string tenantId, SearchQuery condition)
    {
        var text = new StringBuilder("fhir-condition\n").Append(tenantId).Append('\n').Append(condition.ResourceType);
        foreach (var criterion in condition.Criteria.Select(c => c.RawName + "=" + c.RawValue).Order(StringComparer.Ordinal)) text.Append('\n').Append(criterion);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return BitConverter.ToInt64(hash, 0);
    }

    static async Task InsertAsync(DbConnection connection, DbTransaction transaction, string tenantId, StoredResource stored, IndexRows rows, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO fhir_resources (tenant_id, resource_type, id, version_id, last_updated, deleted, body) VALUES (@tenantId, @ResourceType, @Id, 1, @LastUpdated, 0, @Body)",
            new { tenantId, stored.ResourceType, stored.Id, stored.LastUpdated, stored.Body }, transaction, cancellationToken: ct));
        await InsertHistoryAsync(connection, transaction, tenantId, stored, ct);
        await IndexWriter.InsertAsync(connection, transaction, tenantId, stored.ResourceType, stored.Id, rows, ct);
    }

    static RecordError AtEntry(RecordError error, int index) => error with
    {
        Message = $"Bundle.entry[{index.ToString(CultureInfo.InvariantCulture)}]: {error.Message}",
        // Validator locations start with the resource type (Patient.name[0]); inside a Bundle that is entry[i].resource.
        Issues = error.Issues?.Select(i => i with { Location = $"Bundle.entry[{index}].resource" + (i.Location.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0 ? i.Location[dot..] : "") }).ToList(),
    };
}

/// <summary>Rewrites every JSON string equal to a key (a urn:uuid fullUrl or a conditional reference) to its resolved <c>Type/id</c>.</summary>
internal static class ReferenceRewriter
{
    public static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> map)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Carevault.Fhir.FhirJson.SkipUtf8Bom(body), new JsonDocumentOptions { MaxDepth = 65 });
        }
        catch (JsonException)
        {
            return body; // the validator reports it
        }
        using (document)
        {
            var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer)) Copy(document.RootElement, writer, map);
            return buffer.WrittenMemory;
        }
    }

    static void Copy(JsonElement element, Utf8JsonWriter writer, IReadOnlyDictionary<string, string> map)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    Copy(property.Value, writer, map);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Copy(item, writer, map);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String when element.GetString() is { } text && map.TryGetValue(text, out var target):
                writer.WriteStringValue(target);
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
