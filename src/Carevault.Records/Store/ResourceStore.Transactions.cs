using System.Data.Common;
using System.Text.Json;
using Carevault.Records.Search;
using Dapper;

namespace Carevault.Records.Store;

/// <summary>One write of a transaction, already resolved: ids assigned, urn:uuid references rewritten.</summary>
/// <param name="Method">POST, PUT or DELETE.</param>
/// <param name="Id">For POST the id assigned up front (so other entries can point at it); else the target id.</param>
public sealed record TransactionWrite(string Method, string ResourceType, string Id, ReadOnlyMemory<byte> Body, long? IfMatch);

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
        var documents = new List<JsonDocument?>(writes.Count);
        try
        {
            var rows = new List<IndexRows?>(writes.Count);
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                if (write.Method == "DELETE")
                {
                    documents.Add(null);
                    rows.Add(null);
                    continue;
                }
                var parsed = _validation.Parse(write.ResourceType, write.Body);
                if (parsed.Error is { } error) return AtEntry(error, i);
                documents.Add(parsed.Value);
                var root = parsed.Value!.RootElement;
                if (write.Method == "PUT" && (!root.TryGetProperty("id", out var bodyId) || bodyId.ValueKind != JsonValueKind.String || !bodyId.ValueEquals(write.Id)))
                    return AtEntry(new RecordError(RecordErrorKind.BadRequest, "invalid", "The body's id must equal the id in the request url."), i);
                rows.Add(_indexer.Extract(root));
            }

            var results = new List<StoredResource>(writes.Count);
            await using var connection = await _db.OpenAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                var document = documents[i];
                RecordResult<StoredResource> result;
                if (write.Method == "POST")
                {
                    var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
                    var stored = new StoredResource(write.ResourceType, write.Id, 1, now, false, ResourceBody.Stamp(document!.RootElement, write.Id, 1, now));
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO fhir_resources (tenant_id, resource_type, id, version_id, last_updated, deleted, body) VALUES (@tenantId, @ResourceType, @Id, 1, @LastUpdated, 0, @Body)",
                        new { tenantId, stored.ResourceType, stored.Id, stored.LastUpdated, stored.Body }, transaction, cancellationToken: ct));
                    await InsertHistoryAsync(connection, transaction, tenantId, stored, ct);
                    await IndexWriter.InsertAsync(connection, transaction, tenantId, write.ResourceType, write.Id, rows[i]!, ct);
                    result = stored;
                }
                else
                {
                    Func<long, long, string>? stamp = document is null ? null : (version, now) => ResourceBody.Stamp(document.RootElement, write.Id, version, now);
                    (result, _) = await NextVersionAsync(connection, transaction, tenantId, write.ResourceType, write.Id, write.IfMatch, stamp, rows[i], ct);
                }
                if (result.Error is { } error)
                {
                    await transaction.RollbackAsync(ct);
                    return AtEntry(error, i);
                }
                results.Add(result.Value!);
            }
            if (beforeCommit is not null && await beforeCommit(connection, transaction, results, ct) is { } hookError)
            {
                await transaction.RollbackAsync(ct);
                return hookError;
            }
            await transaction.CommitAsync(ct);
            return results;
        }
        finally
        {
            foreach (var document in documents) document?.Dispose();
        }
    }

    static RecordError AtEntry(RecordError error, int index) => error with
    {
        Message = $"Bundle.entry[{index}]: {error.Message}",
        // Validator locations start with the resource type (Patient.name[0]); inside a Bundle that is entry[i].resource.
        Issues = error.Issues?.Select(i => i with { Location = $"Bundle.entry[{index}].resource" + (i.Location.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0 ? i.Location[dot..] : "") }).ToList(),
    };
}
