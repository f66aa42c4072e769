using Dapper;

namespace Carevault.Records.Store;

public sealed partial class ResourceStore
{
    sealed class SystemHistoryRow
    {
        public long Seq { get; set; }
        public string ResourceType { get; set; } = "";
        public string Id { get; set; } = "";
        public long VersionId { get; set; }
        public long LastUpdated { get; set; }
        public int Deleted { get; set; }
        public string Body { get; set; } = "";
    }

    /// <summary>
    /// history-system (FHIR R4 http.html#history): the tenant's versions of the given types, newest first, continuing
    /// before <paramref name="beforeSeq"/> (keyset on the history sequence). The history table's seq is its primary
    /// key, so the scan walks seq downwards and filters on tenant and type — cheap while the tenant writes often.
    /// </summary>
    public async Task<IReadOnlyList<HistoryEntry>> SystemHistoryAsync(string tenantId, IReadOnlyCollection<string> types, long? since, long? beforeSeq, int count, CancellationToken ct)
    {
        if (types.Count == 0 || count == 0) return [];
        await using var connection = await _db.OpenAsync(ct);
        var parameters = new DynamicParameters(new { tenantId, since, beforeSeq, count });
        var names = new List<string>(types.Count);
        var i = 0;
        foreach (var type in types)
        {
            parameters.Add("t" + i, type);
            names.Add("@t" + i++);
        }
        var sql = "SELECT seq AS Seq, resource_type AS ResourceType, id AS Id, version_id AS VersionId, last_updated AS LastUpdated, deleted AS Deleted, body AS Body FROM fhir_history"
            + $" WHERE tenant_id = @tenantId AND resource_type IN ({string.Join(", ", names)})"
            + (since is null ? "" : " AND last_updated >= @since")
            + (beforeSeq is null ? "" : " AND seq < @beforeSeq")
            + " ORDER BY seq DESC LIMIT @count";
        var rows = await connection.QueryAsync<SystemHistoryRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        return rows.Select(r => new HistoryEntry(r.Seq, new StoredResource(r.ResourceType, r.Id, r.VersionId, r.LastUpdated, r.Deleted != 0, r.Body))).ToList();
    }
}
