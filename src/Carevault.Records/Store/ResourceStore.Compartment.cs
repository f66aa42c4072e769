using Carevault.Records.Search;
using Dapper;

namespace Carevault.Records.Store;

public sealed partial class ResourceStore
{
    sealed class TypedRow
    {
        public string ResourceType { get; set; } = "";
        public string Id { get; set; } = "";
        public long VersionId { get; set; }
        public long LastUpdated { get; set; }
        public int Deleted { get; set; }
        public string Body { get; set; } = "";
    }

    /// <summary>
    /// A page of <c>Patient/{patientId}</c> and its compartment (FHIR R4 patient-operation-everything), limited to
    /// <paramref name="types"/> (and the Patient itself with <paramref name="includeSelf"/>), in id order after <paramref name="after"/>; the total when asked.
    /// </summary>
    public async Task<SearchPage> EverythingAsync(string tenantId, string patientId, IReadOnlyList<string> types, bool includeSelf, string? after, int count, bool total, CancellationToken ct)
    {
        var sql = SearchSql.Everything(tenantId, patientId, types, includeSelf, after, count);
        await using var connection = await _db.OpenAsync(ct);
        var rows = count == 0 ? [] : (await connection.QueryAsync<TypedRow>(new CommandDefinition(sql.PageSql, sql.Parameters, cancellationToken: ct))).AsList();
        long? counted = total ? await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql.CountSql, sql.Parameters, cancellationToken: ct)) : null;
        var hasMore = rows.Count > count;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        var resources = rows.Select(r => new StoredResource(r.ResourceType, r.Id, r.VersionId, r.LastUpdated, r.Deleted != 0, r.Body)).ToList();
        return new SearchPage(resources, hasMore ? resources[^1].Id : null, counted);
    }
}
