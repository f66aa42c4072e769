using System.Data.Common;
using System.Text.Json;
using Carevault.Records.Search;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Records.Store;

/// <summary>
/// The one door for FHIR reads and writes. Every method takes the tenant first and every statement filters on it,
/// so another tenant's resource is simply not found. A write validates, stamps id and meta, extracts index rows,
/// then writes the current row, the history row and the index rows in one transaction.
/// See docs/decisions/0007-fhir-store.md.
/// </summary>
public sealed partial class ResourceStore
{
    readonly Db _db;
    readonly TimeProvider _clock;
    readonly ResourceValidation _validation;
    readonly SearchIndexer _indexer;

    internal ResourceStore(Db db, TimeProvider clock, ResourceValidation validation, SearchIndexer indexer)
    {
        _db = db;
        _clock = clock;
        _validation = validation;
        _indexer = indexer;
    }

    /// <summary>Optimistic-concurrency retries when an update races another writer and no If-Match was given.</summary>
    const int MaxRetries = 5;

    // Mutable rows: Dapper converts column types into properties (SQLite gives Int64, PostgreSQL Int16 for deleted).
    sealed class Row
    {
        public string Id { get; set; } = "";
        public long VersionId { get; set; }
        public long LastUpdated { get; set; }
        public int Deleted { get; set; }
        public string Body { get; set; } = "";
    }

    sealed class HistoryRow
    {
        public long Seq { get; set; }
        public string Id { get; set; } = "";
        public long VersionId { get; set; }
        public long LastUpdated { get; set; }
        public int Deleted { get; set; }
        public string Body { get; set; } = "";
    }

    public async Task<RecordResult<StoredResource>> ReadAsync(string tenantId, string type, string id, CancellationToken ct)
    {
        await using var connection = await _db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT id AS Id, version_id AS VersionId, last_updated AS LastUpdated, deleted AS Deleted, body AS Body FROM fhir_resources WHERE tenant_id = @tenantId AND resource_type = @type AND id = @id",
            new { tenantId, type, id }, cancellationToken: ct));
        if (row is null) return RecordError.NotFound(type, id);
        if (row.Deleted != 0) return new RecordError(RecordErrorKind.Gone, "deleted", $"{type}/{id} was deleted.");
        return ToResource(type, row);
    }

    public async Task<RecordResult<StoredResource>> ReadVersionAsync(string tenantId, string type, string id, long versionId, CancellationToken ct)
    {
        await using var connection = await _db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT id AS Id, version_id AS VersionId, last_updated AS LastUpdated, deleted AS Deleted, body AS Body FROM fhir_history WHERE tenant_id = @tenantId AND resource_type = @type AND id = @id AND version_id = @versionId",
            new { tenantId, type, id, versionId }, cancellationToken: ct));
        if (row is null) return new RecordError(RecordErrorKind.NotFound, "not-found", $"{type}/{id} has no version {versionId}.");
        if (row.Deleted != 0) return new RecordError(RecordErrorKind.Gone, "deleted", $"Version {versionId} of {type}/{id} is a deletion.");
        return ToResource(type, row);
    }

    /// <param name="beforeCommit">Work that commits with the write or not at all (the audit record, decision 0012).</param>
    public async Task<RecordResult<StoredResource>> CreateAsync(string tenantId, string type, ReadOnlyMemory<byte> body, CancellationToken ct, BeforeCommit? beforeCommit = null)
    {
        var parsed = _validation.Parse(type, body);
        if (parsed.Error is { } error) return error;
        using var document = parsed.Value!;
        // FHIR R4 http.html#create: an id in the body is ignored; the server assigns one.
        var id = ResourceIds.New(_clock);
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var stored = new StoredResource(type, id, 1, now, false, ResourceBody.Stamp(document.RootElement, id, 1, now));
        var rows = _indexer.Extract(document.RootElement);

        return await _db.WriteAsync<RecordResult<StoredResource>>(async (connection, transaction, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO fhir_resources (tenant_id, resource_type, id, version_id, last_updated, deleted, body) VALUES (@tenantId, @type, @id, 1, @now, 0, @body)",
                new { tenantId, type, id, now, body = stored.Body }, transaction, cancellationToken: ct));
            await InsertHistoryAsync(connection, transaction, tenantId, stored, ct);
            await IndexWriter.InsertAsync(connection, transaction, tenantId, type, id, rows, ct);
            if (beforeCommit is not null && await beforeCommit(connection, transaction, [stored], ct) is { } hookError) return (hookError, false);
            return (stored, true);
        }, ct);
    }

    /// <param name="ifMatch">The version the caller last saw (If-Match); null to overwrite whatever is current.</param>
    public async Task<RecordResult<StoredResource>> UpdateAsync(string tenantId, string type, string id, ReadOnlyMemory<byte> body, long? ifMatch, CancellationToken ct,
        BeforeCommit? beforeCommit = null)
    {
        var parsed = _validation.Parse(type, body);
        if (parsed.Error is { } error) return error;
        using var document = parsed.Value!;
        // FHIR R4 http.html#update: the body SHALL carry an id equal to the URL's.
        if (!document.RootElement.TryGetProperty("id", out var bodyId) || bodyId.ValueKind != JsonValueKind.String || !bodyId.ValueEquals(id))
            return new RecordError(RecordErrorKind.BadRequest, "invalid", "The body's id must equal the id in the URL.");
        var rows = _indexer.Extract(document.RootElement);
        return await WriteVersionAsync(tenantId, type, id, ifMatch, (version, now) => ResourceBody.Stamp(document.RootElement, id, version, now), rows, beforeCommit, ct);
    }

    public async Task<RecordResult<StoredResource>> DeleteAsync(string tenantId, string type, string id, long? ifMatch, CancellationToken ct, BeforeCommit? beforeCommit = null) =>
        await WriteVersionAsync(tenantId, type, id, ifMatch, null, null, beforeCommit, ct);

    /// <summary>Writes the next version (or a deletion when <paramref name="stamp"/> is null), retrying lost races.</summary>
    async Task<RecordResult<StoredResource>> WriteVersionAsync(string tenantId, string type, string id, long? ifMatch, Func<long, long, string>? stamp, IndexRows? rows,
        BeforeCommit? beforeCommit, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (result, lostRace) = await _db.WriteAsync(async (connection, transaction, ct) =>
            {
                var (result, lostRace) = await NextVersionAsync(connection, transaction, tenantId, type, id, ifMatch, stamp, rows, ct);
                if (!result.IsSuccess || lostRace) return ((result, lostRace), false);
                if (beforeCommit is not null && await beforeCommit(connection, transaction, [result.Value!], ct) is { } hookError)
                    return ((hookError, false), false);
                return ((result, false), true);
            }, ct);
            if (lostRace && ifMatch is null && attempt < MaxRetries) continue;
            return result;
        }
    }

    /// <summary>
    /// Inside the caller's transaction: reads the current version, checks If-Match, and writes the next version with a
    /// conditional UPDATE (optimistic: 0 rows means another writer won, reported as <c>LostRace</c>).
    /// </summary>
    async Task<(RecordResult<StoredResource> Result, bool LostRace)> NextVersionAsync(DbConnection connection, DbTransaction transaction, string tenantId, string type, string id,
        long? ifMatch, Func<long, long, string>? stamp, IndexRows? rows, CancellationToken ct)
    {
        var current = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT id AS Id, version_id AS VersionId, last_updated AS LastUpdated, deleted AS Deleted, body AS Body FROM fhir_resources WHERE tenant_id = @tenantId AND resource_type = @type AND id = @id",
            new { tenantId, type, id }, transaction, cancellationToken: ct));
        if (current is null)
        {
            return (stamp is null
                ? RecordError.NotFound(type, id)
                // FHIR R4 http.html#update: 405 when the resource did not exist and client-defined ids are not allowed.
                : new RecordError(RecordErrorKind.MethodNotAllowed, "not-supported", "This server assigns ids: create with POST; update only existing resources."), false);
        }
        var version = current.VersionId;
        if (ifMatch is { } expected && expected != version)
            return (new RecordError(RecordErrorKind.PreconditionFailed, "conflict", $"If-Match names version {expected}; the current version is {version}."), false);
        // Deleting a deleted resource changes nothing (FHIR R4 http.html#delete).
        if (stamp is null && current.Deleted != 0) return (ToResource(type, current), false);

        var next = version + 1;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var stored = new StoredResource(type, id, next, now, stamp is null, stamp?.Invoke(next, now) ?? "");
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE fhir_resources SET version_id = @next, last_updated = @now, deleted = @deleted, body = @body WHERE tenant_id = @tenantId AND resource_type = @type AND id = @id AND version_id = @version",
            new { next, now, deleted = stored.Deleted ? 1 : 0, body = stored.Body, tenantId, type, id, version }, transaction, cancellationToken: ct));
        if (changed == 0)
            return (new RecordError(RecordErrorKind.PreconditionFailed, "conflict", "The resource changed while this request was written; read it again."), true);
        await InsertHistoryAsync(connection, transaction, tenantId, stored, ct);
        await IndexWriter.DeleteAsync(connection, transaction, tenantId, type, id, ct);
        if (rows is not null) await IndexWriter.InsertAsync(connection, transaction, tenantId, type, id, rows, ct);
        return (stored, false);
    }

    static Task<int> InsertHistoryAsync(DbConnection connection, DbTransaction transaction, string tenantId, StoredResource stored, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO fhir_history (tenant_id, resource_type, id, version_id, last_updated, deleted, body) VALUES (@tenantId, @ResourceType, @Id, @VersionId, @LastUpdated, @deleted, @Body)",
            new { tenantId, stored.ResourceType, stored.Id, stored.VersionId, stored.LastUpdated, deleted = stored.Deleted ? 1 : 0, stored.Body }, transaction, cancellationToken: ct));

    /// <summary>
    /// Versions newest first: of one resource when <paramref name="id"/> is given, else of every resource of the type.
    /// <paramref name="beforeSeq"/> continues a listing (keyset on the history sequence).
    /// </summary>
    public async Task<RecordResult<IReadOnlyList<HistoryEntry>>> HistoryAsync(string tenantId, string type, string? id, long? since, long? beforeSeq, int count, CancellationToken ct)
    {
        await using var connection = await _db.OpenAsync(ct);
        var sql = "SELECT seq AS Seq, id AS Id, version_id AS VersionId, last_updated AS LastUpdated, deleted AS Deleted, body AS Body FROM fhir_history WHERE tenant_id = @tenantId AND resource_type = @type"
            + (id is null ? "" : " AND id = @id")
            + (since is null ? "" : " AND last_updated >= @since")
            + (beforeSeq is null ? "" : " AND seq < @beforeSeq")
            + " ORDER BY seq DESC LIMIT @count";
        var rows = (await connection.QueryAsync<HistoryRow>(new CommandDefinition(sql, new { tenantId, type, id, since, beforeSeq, count }, cancellationToken: ct))).AsList();
        if (rows.Count == 0 && id is not null && beforeSeq is null)
        {
            var exists = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT version_id FROM fhir_resources WHERE tenant_id = @tenantId AND resource_type = @type AND id = @id", new { tenantId, type, id }, cancellationToken: ct));
            if (exists is null) return RecordError.NotFound(type, id);
        }
        return rows.Select(r => new HistoryEntry(r.Seq, new StoredResource(type, r.Id, r.VersionId, r.LastUpdated, r.Deleted != 0, r.Body))).ToList();
    }

    /// <summary>
    /// Runs a parsed search in the tenant: one page (id order, or <c>_sort</c> order), the total when asked, and the
    /// resources its <c>_include</c>/<c>_revinclude</c> directives add — only of types <paramref name="mayRead"/> allows.
    /// </summary>
    public async Task<SearchPage> SearchAsync(string tenantId, SearchQuery query, CancellationToken ct, Func<string, bool>? mayRead = null)
    {
        var sql = SearchSql.Build(tenantId, query, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        await using var connection = await _db.OpenAsync(ct);
        // _count=0 asks only for the total (FHIR R4 search.html#count): no page, no next link.
        List<StoredResource> resources;
        string? next = null;
        if (query.Count == 0) resources = [];
        else if (query.Sort.Count == 0)
        {
            var rows = (await connection.QueryAsync<Row>(new CommandDefinition(sql.PageSql, sql.Parameters, cancellationToken: ct))).AsList();
            var hasMore = rows.Count > query.Count;
            if (hasMore) rows.RemoveAt(rows.Count - 1);
            resources = rows.Select(r => ToResource(query.ResourceType, r)).ToList();
            if (hasMore) next = resources[^1].Id;
        }
        else
        {
            // Sorted: the rows carry their sort values (s0…), which the next-page cursor encodes.
            var rows = (await connection.QueryAsync(new CommandDefinition(sql.PageSql, sql.Parameters, cancellationToken: ct)))
                .Select(r => new Dictionary<string, object>((IDictionary<string, object>)r, StringComparer.OrdinalIgnoreCase)).ToList();
            var hasMore = rows.Count > query.Count;
            if (hasMore) rows.RemoveAt(rows.Count - 1);
            resources = rows.Select(r => new StoredResource(query.ResourceType, (string)r["Id"], Convert.ToInt64(r["VersionId"], System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToInt64(r["LastUpdated"], System.Globalization.CultureInfo.InvariantCulture), false, (string)r["Body"])).ToList();
            if (hasMore)
            {
                var last = rows[^1];
                var values = query.Sort.Select((key, i) => SortCursor.Read(key, last["s" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Append(resources[^1].Id).ToList();
                next = SortCursor.Encode(values);
            }
        }
        long? total = query.Total == SearchTotal.Accurate
            ? await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql.CountSql, sql.Parameters, cancellationToken: ct))
            : null;
        var included = query.Includes.Count == 0 || resources.Count == 0 ? [] : await IncludeAsync(connection, tenantId, query.Includes, resources, mayRead ?? (_ => true), ct);
        return new SearchPage(resources, next, total) { Included = included };
    }

    static StoredResource ToResource(string type, Row row) => new(type, row.Id, row.VersionId, row.LastUpdated, row.Deleted != 0, row.Body);
}
