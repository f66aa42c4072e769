using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;

namespace Carevault.Records.Store;

public sealed partial class ResourceStore
{
    /// <summary>
    /// patch (FHIR R4 http.html#patch) with a JSON Patch (RFC 6902): applied to the current version, then validated
    /// and written like an update (the id must stay; 400/422 with locations when the result is not valid). Without
    /// If-Match a lost race re-reads and re-applies; with it, another current version is 412.
    /// </summary>
    public async Task<RecordResult<StoredResource>> PatchAsync(string tenantId, string type, string id, ReadOnlyMemory<byte> patch, long? ifMatch, CancellationToken ct)
    {
        var operations = JsonPatch.Parse(patch);
        if (operations.Error is { } patchError) return patchError;
        for (var attempt = 0; ; attempt++)
        {
            var (result, retry) = await _db.WriteAsync(async (connection, transaction, ct) =>
            {
                var (result, retry) = await PatchOnceAsync(connection, transaction, tenantId, type, id, operations.Value!, ifMatch, ct);
                return ((result, retry), result.IsSuccess);
            }, ct);
            // Another writer got in between our read and our write: without If-Match, patch the newer version.
            if (retry && ifMatch is null && attempt < MaxRetries) continue;
            return result;
        }
    }

    /// <summary>One attempt inside a write transaction; <c>Retry</c> when another writer's version got in between.</summary>
    async Task<(RecordResult<StoredResource> Result, bool Retry)> PatchOnceAsync(DbConnection connection, DbTransaction transaction, string tenantId, string type, string id,
        IReadOnlyList<JsonPatch.Operation> operations, long? ifMatch, CancellationToken ct)
    {
        var current = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT id AS Id, version_id AS VersionId, last_updated AS LastUpdated, deleted AS Deleted, body AS Body FROM fhir_resources WHERE tenant_id = @tenantId AND resource_type = @type AND id = @id",
            new { tenantId, type, id }, transaction, cancellationToken: ct));
        if (current is null) return (RecordError.NotFound(type, id), false);
        if (current.Deleted != 0) return (new RecordError(RecordErrorKind.Gone, "deleted", $"{type}/{id} was deleted."), false);
        if (ifMatch is { } expected && expected != current.VersionId)
            return (new RecordError(RecordErrorKind.PreconditionFailed, "conflict", $"If-Match names version {expected}; the current version is {current.VersionId}."), false);

        var patched = JsonPatch.Apply(JsonNode.Parse(current.Body)!, operations);
        if (patched.Error is { } applyError) return (applyError, false);
        var parsed = _validation.Parse(type, JsonSerializer.SerializeToUtf8Bytes(patched.Value));
        if (parsed.Error is { } invalid) return (invalid, false);
        using var document = parsed.Value!;
        if (!document.RootElement.TryGetProperty("id", out var bodyId) || bodyId.ValueKind != JsonValueKind.String || !bodyId.ValueEquals(id))
            return (new RecordError(RecordErrorKind.BadRequest, "invalid", "A patch may not change or remove the id."), false);
        var rows = _indexer.Extract(document.RootElement);
        var (result, lostRace) = await NextVersionAsync(connection, transaction, tenantId, type, id, current.VersionId,
            (version, now) => ResourceBody.Stamp(document.RootElement, id, version, now), rows, ct);
        return (result, !result.IsSuccess && (lostRace || result.Error?.Kind == RecordErrorKind.PreconditionFailed));
    }
}
