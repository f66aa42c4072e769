using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;
using Carevault.Records.Http;
using Carevault.Records.Search;
using Carevault.Storage;
using Carevault.Storage.Database;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Carevault.Records.Store;

/// <summary>Limits of a bulk load (<c>Records:Import:*</c>).</summary>
public sealed record BulkLoadOptions
{
    /// <summary>Resources written per database transaction.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>Longest NDJSON line accepted (bytes); a longer one is reported and skipped.</summary>
    public int MaxLineBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Line errors reported in detail; further ones are only counted.</summary>
    public int MaxReportedErrors { get; init; } = 1000;
}

/// <summary>Why one line (or Bundle entry) was not loaded: its number, an OperationOutcome code, a message without its content.</summary>
public sealed record BulkLineError(long Number, RecordError Error);

/// <summary>What a bulk load did.</summary>
public sealed class BulkLoadReport
{
    /// <summary>Items read (non-blank lines or entries).</summary>
    public long Read { get; internal set; }
    public long Created { get; internal set; }
    public long Rejected { get; internal set; }
    public SortedDictionary<string, long> CreatedByType { get; } = new(StringComparer.Ordinal);

    /// <summary>The first <see cref="BulkLoadOptions.MaxReportedErrors"/> rejections, in line order.</summary>
    public List<BulkLineError> Errors { get; } = [];
    public TimeSpan Elapsed { get; internal set; }
    public double ResourcesPerSecond => Elapsed.TotalSeconds > 0 ? Created / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// The bulk load path (issue 4 item 7; docs/decisions/0015-bulk-load.md): streams NDJSON lines or Bundle entries,
/// validates each resource with the store's validator, assigns id and meta, extracts the same index rows as a single
/// create, and writes resources, version-1 history rows and index rows in large batches, one transaction per batch —
/// reused prepared statements on SQLite, binary COPY on PostgreSQL. Preparing (parse, validate, index: CPU) runs on all
/// cores while the previous batch is written. A bad line is rejected with its number and the good ones are kept; a
/// resource is written whole (with its history and index rows) or not at all. A database failure stops the load:
/// batches committed before it stay.
/// </summary>
public sealed class BulkLoader
{
    readonly Db _db;
    readonly TimeProvider _clock;
    readonly ResourceValidation _validation;
    readonly SearchIndexer _indexer;
    readonly FhirSpec _spec;
    readonly BulkLoadOptions _options;

    internal BulkLoader(Db db, TimeProvider clock, ResourceValidation validation, SearchIndexer indexer, FhirSpec spec, BulkLoadOptions options)
    {
        _db = db;
        _clock = clock;
        _validation = validation;
        _indexer = indexer;
        _spec = spec;
        _options = options;
    }

    public BulkLoadOptions Options => _options;

    /// <summary>A resource ready to write, or the reason its line is rejected.</summary>
    sealed class Prepared
    {
        public long Number;
        public StoredResource? Resource;
        public IndexRows? Rows;
        public RecordError? Error;
    }

    /// <summary>
    /// Loads <paramref name="items"/> into <paramref name="tenantId"/>. <paramref name="mayCreate"/> decides per resource
    /// type (null: allowed; called once per type); the operator's CLI allows every stored type.
    /// </summary>
    public async Task<BulkLoadReport> LoadAsync(string tenantId, IAsyncEnumerable<BulkItem> items, Func<string, RecordError?>? mayCreate, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var report = new BulkLoadReport();
        var decisions = new ConcurrentDictionary<string, RecordError?>(StringComparer.Ordinal);
        RecordError? TypeCheck(string type)
        {
            if (!FhirRequest.IsSupportedType(_spec, type))
                return new RecordError(RecordErrorKind.BadRequest, "not-supported", "This server does not store that resource type.");
            return mayCreate is null ? null : decisions.GetOrAdd(type, mayCreate);
        }

        // Two stages: this task reads and prepares batch n+1 (on every core) while the writer commits batch n.
        var batches = Channel.CreateBounded<Prepared[]>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writer = Task.Run(async () =>
        {
            try
            {
                await WriteAllAsync(tenantId, batches.Reader, report, linked.Token);
            }
            catch
            {
                await linked.CancelAsync(); // stop the reader, which may wait on a full channel
                throw;
            }
        }, linked.Token);
        try
        {
            var pending = new List<BulkItem>(_options.BatchSize);
            await foreach (var item in items.WithCancellation(linked.Token))
            {
                pending.Add(item);
                if (pending.Count < _options.BatchSize) continue;
                await batches.Writer.WriteAsync(Prepare(pending, TypeCheck), linked.Token);
                pending.Clear();
            }
            if (pending.Count > 0) await batches.Writer.WriteAsync(Prepare(pending, TypeCheck), linked.Token);
            batches.Writer.Complete();
        }
        catch (Exception)
        {
            batches.Writer.TryComplete();
            await linked.CancelAsync();
            // A database failure in the writer is the cause to report, not the reader's cancellation that followed it.
            await Task.WhenAny(writer);
            if (writer.Exception?.InnerException is { } cause and not OperationCanceledException) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        await writer;
        await AnalyzeAsync(report, ct);
        report.Elapsed = Stopwatch.GetElapsedTime(started);
        return report;
    }

    Prepared[] Prepare(List<BulkItem> items, Func<string, RecordError?> typeCheck)
    {
        var prepared = new Prepared[items.Count];
        Parallel.For(0, items.Count, i => prepared[i] = PrepareOne(items[i], typeCheck));
        return prepared;
    }

    Prepared PrepareOne(BulkItem item, Func<string, RecordError?> typeCheck)
    {
        var result = new Prepared { Number = item.Number };
        if (item.Error is { } itemError)
        {
            result.Error = itemError;
            return result;
        }
        var parsed = _validation.ParseAnyType(item.Body, typeCheck);
        if (parsed.Error is { } error)
        {
            result.Error = error;
            return result;
        }
        using var document = parsed.Value!;
        var root = document.RootElement;
        // As a create (FHIR R4 http.html#create): an id in the body is ignored, the server assigns one.
        var id = ResourceIds.New(_clock);
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var type = root.GetProperty("resourceType").GetString()!;
        result.Resource = new StoredResource(type, id, 1, now, false, ResourceBody.Stamp(root, id, 1, now));
        result.Rows = _indexer.Extract(root);
        return result;
    }

    async Task WriteAllAsync(string tenantId, ChannelReader<Prepared[]> batches, BulkLoadReport report, CancellationToken ct)
    {
        await foreach (var batch in batches.ReadAllAsync(ct))
        {
            var good = new List<Prepared>(batch.Length);
            foreach (var item in batch)
            {
                report.Read++;
                if (item.Error is { } error)
                {
                    report.Rejected++;
                    if (report.Errors.Count < _options.MaxReportedErrors) report.Errors.Add(new BulkLineError(item.Number, error));
                }
                else good.Add(item);
            }
            if (good.Count == 0) continue;
            await _db.WriteAsync(async (connection, transaction, ct) =>
            {
                if (connection is NpgsqlConnection postgres) await CopyAsync(postgres, tenantId, good, ct);
                else await InsertAsync((SqliteConnection)connection, (SqliteTransaction)transaction, tenantId, good, ct);
                return (0, true);
            }, ct);
            foreach (var item in good)
            {
                report.Created++;
                var type = item.Resource!.ResourceType;
                report.CreatedByType[type] = report.CreatedByType.GetValueOrDefault(type) + 1;
            }
        }
    }

    /// <summary>
    /// Fresh statistics after a load, so the planner sees the new rows at once (decision 0007: PostgreSQL chose bad plans
    /// for freshly written Observations until autovacuum's ANALYZE). SQLite: <c>PRAGMA optimize</c> analyses the tables
    /// whose size changed much, with a row limit so it stays cheap.
    /// </summary>
    async Task AnalyzeAsync(BulkLoadReport report, CancellationToken ct)
    {
        if (report.Created == 0) return;
        await _db.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandTimeout = 600;
            command.CommandText = _db.Provider == DatabaseProvider.Postgres
                ? "ANALYZE fhir_resources, fhir_history, " + string.Join(", ", IndexTables)
                : "PRAGMA analysis_limit=2000; PRAGMA optimize=0x10002;";
            await command.ExecuteNonQueryAsync(ct);
            return (0, true);
        }, ct);
    }

    static readonly string[] IndexTables = ["fhir_idx_token", "fhir_idx_string", "fhir_idx_date", "fhir_idx_reference", "fhir_idx_quantity", "fhir_idx_uri"];

    // ---- SQLite: one prepared statement per table, reused for every row of the batch.

    static async Task InsertAsync(SqliteConnection connection, SqliteTransaction transaction, string tenantId, List<Prepared> batch, CancellationToken ct)
    {
        using var resources = Command(connection, transaction, "INSERT INTO fhir_resources (tenant_id, resource_type, id, version_id, last_updated, deleted, body) VALUES ($t, $rt, $id, 1, $lu, 0, $body)", "$t", "$rt", "$id", "$lu", "$body");
        using var history = Command(connection, transaction, "INSERT INTO fhir_history (tenant_id, resource_type, id, version_id, last_updated, deleted, body) VALUES ($t, $rt, $id, 1, $lu, 0, $body)", "$t", "$rt", "$id", "$lu", "$body");
        using var token = Command(connection, transaction, "INSERT INTO fhir_idx_token (tenant_id, resource_type, param, system, code, resource_id) VALUES ($t, $rt, $p, $a, $b, $id)", "$t", "$rt", "$p", "$a", "$b", "$id");
        using var text = Command(connection, transaction, "INSERT INTO fhir_idx_string (tenant_id, resource_type, param, normalized, exact, resource_id) VALUES ($t, $rt, $p, $a, $b, $id)", "$t", "$rt", "$p", "$a", "$b", "$id");
        using var date = Command(connection, transaction, "INSERT INTO fhir_idx_date (tenant_id, resource_type, param, low, high, resource_id) VALUES ($t, $rt, $p, $a, $b, $id)", "$t", "$rt", "$p", "$a", "$b", "$id");
        using var reference = Command(connection, transaction, "INSERT INTO fhir_idx_reference (tenant_id, resource_type, param, target_type, target_id, resource_id) VALUES ($t, $rt, $p, $a, $b, $id)", "$t", "$rt", "$p", "$a", "$b", "$id");
        using var quantity = Command(connection, transaction, "INSERT INTO fhir_idx_quantity (tenant_id, resource_type, param, system, code, value, resource_id) VALUES ($t, $rt, $p, $a, $b, $c, $id)", "$t", "$rt", "$p", "$a", "$b", "$c", "$id");
        using var uri = Command(connection, transaction, "INSERT INTO fhir_idx_uri (tenant_id, resource_type, param, value, resource_id) VALUES ($t, $rt, $p, $a, $id)", "$t", "$rt", "$p", "$a", "$id");
        foreach (var item in batch)
        {
            ct.ThrowIfCancellationRequested();
            var r = item.Resource!;
            var rows = item.Rows!;
            Run(resources, tenantId, r.ResourceType, r.Id, r.LastUpdated, r.Body);
            Run(history, tenantId, r.ResourceType, r.Id, r.LastUpdated, r.Body);
            foreach (var row in rows.Tokens) Run(token, tenantId, r.ResourceType, row.Param, row.System, row.Code, r.Id);
            foreach (var row in rows.Strings) Run(text, tenantId, r.ResourceType, row.Param, row.Normalized, row.Exact, r.Id);
            foreach (var row in rows.Dates) Run(date, tenantId, r.ResourceType, row.Param, row.Low, row.High, r.Id);
            foreach (var row in rows.References) Run(reference, tenantId, r.ResourceType, row.Param, row.TargetType, row.TargetId, r.Id);
            foreach (var row in rows.Quantities) Run(quantity, tenantId, r.ResourceType, row.Param, row.System, row.Code, row.Value, r.Id);
            foreach (var row in rows.Uris) Run(uri, tenantId, r.ResourceType, row.Param, row.Value, r.Id);
        }
        await Task.CompletedTask;
    }

    static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    // Synchronous on purpose: Microsoft.Data.Sqlite has no asynchronous I/O (its async methods run synchronously).
    static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i];
        command.ExecuteNonQuery();
    }

    // ---- PostgreSQL: binary COPY per table (one round trip per table per batch).

    static async Task CopyAsync(NpgsqlConnection connection, string tenantId, List<Prepared> batch, CancellationToken ct)
    {
        foreach (var table in new[] { "fhir_resources", "fhir_history" })
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                $"COPY {table} (tenant_id, resource_type, id, version_id, last_updated, deleted, body) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var item in batch)
            {
                var r = item.Resource!;
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(tenantId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.ResourceType, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Id, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(1L, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(r.LastUpdated, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync((short)0, NpgsqlDbType.Smallint, ct);
                await copy.WriteAsync(r.Body, NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await CopyRowsAsync(connection, "fhir_idx_token (tenant_id, resource_type, param, system, code, resource_id)", tenantId, batch, rows => rows.Tokens,
            static async (copy, row, ct) => { await copy.WriteAsync(row.Param, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.System, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.Code, NpgsqlDbType.Text, ct); }, ct);
        await CopyRowsAsync(connection, "fhir_idx_string (tenant_id, resource_type, param, normalized, exact, resource_id)", tenantId, batch, rows => rows.Strings,
            static async (copy, row, ct) => { await copy.WriteAsync(row.Param, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.Normalized, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.Exact, NpgsqlDbType.Text, ct); }, ct);
        await CopyRowsAsync(connection, "fhir_idx_date (tenant_id, resource_type, param, low, high, resource_id)", tenantId, batch, rows => rows.Dates,
            static async (copy, row, ct) => { await copy.WriteAsync(row.Param, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.Low, NpgsqlDbType.Bigint, ct); await copy.WriteAsync(row.High, NpgsqlDbType.Bigint, ct); }, ct);
        await CopyRowsAsync(connection, "fhir_idx_reference (tenant_id, resource_type, param, target_type, target_id, resource_id)", tenantId, batch, rows => rows.References,
            static async (copy, row, ct) => { await copy.WriteAsync(row.Param, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.TargetType, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.TargetId, NpgsqlDbType.Text, ct); }, ct);
        await CopyRowsAsync(connection, "fhir_idx_quantity (tenant_id, resource_type, param, system, code, value, resource_id)", tenantId, batch, rows => rows.Quantities,
            static async (copy, row, ct) =>
            {
                await copy.WriteAsync(row.Param, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.System, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Code, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Value, NpgsqlDbType.Double, ct);
            }, ct);
        await CopyRowsAsync(connection, "fhir_idx_uri (tenant_id, resource_type, param, value, resource_id)", tenantId, batch, rows => rows.Uris,
            static async (copy, row, ct) => { await copy.WriteAsync(row.Param, NpgsqlDbType.Text, ct); await copy.WriteAsync(row.Value, NpgsqlDbType.Text, ct); }, ct);
    }

    /// <summary>COPYs one index table: tenant and type first, the row's own columns, then the resource id (the tables' column order).</summary>
    static async Task CopyRowsAsync<TRow>(NpgsqlConnection connection, string tableAndColumns, string tenantId, List<Prepared> batch, Func<IndexRows, List<TRow>> select,
        Func<NpgsqlBinaryImporter, TRow, CancellationToken, Task> writeColumns, CancellationToken ct)
    {
        var any = false;
        foreach (var item in batch)
            if (select(item.Rows!).Count > 0) { any = true; break; }
        if (!any) return;
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {tableAndColumns} FROM STDIN (FORMAT BINARY)", ct);
        foreach (var item in batch)
        {
            var r = item.Resource!;
            foreach (var row in select(item.Rows!))
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(tenantId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.ResourceType, NpgsqlDbType.Text, ct);
                await writeColumns(copy, row, ct);
                await copy.WriteAsync(r.Id, NpgsqlDbType.Text, ct);
            }
        }
        await copy.CompleteAsync(ct);
    }

    /// <summary>"998 created (Observation 998), 2 rejected": counts only, no content.</summary>
    public static string Describe(BulkLoadReport report) =>
        string.Create(CultureInfo.InvariantCulture, $"{report.Created} created ({string.Join(", ", report.CreatedByType.Select(p => $"{p.Key} {p.Value}"))}), {report.Rejected} rejected");
}
