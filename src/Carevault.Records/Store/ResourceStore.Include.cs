using System.Data.Common;
using Carevault.Records.Search;
using Dapper;

namespace Carevault.Records.Store;

public sealed partial class ResourceStore
{
    /// <summary>Most resources one include directive adds to a page (a revinclude of a busy patient could be thousands).</summary>
    public const int MaxIncludedPerDirective = 1000;

    sealed class IncludeRow
    {
        public string ResourceType { get; set; } = "";
        public string Id { get; set; } = "";
        public long VersionId { get; set; }
        public long LastUpdated { get; set; }
        public string Body { get; set; } = "";
    }

    /// <summary>
    /// _include and _revinclude (FHIR R4 search.html#include) over the reference index: first the directives without
    /// :iterate on the page's matches, then the :iterate ones once on everything so far (one level). Matches and
    /// resources already included are not repeated.
    /// </summary>
    static async Task<List<StoredResource>> IncludeAsync(DbConnection connection, string tenantId, IReadOnlyList<IncludeDirective> includes, List<StoredResource> matches,
        Func<string, bool> mayRead, CancellationToken ct)
    {
        var seen = new HashSet<(string, string)>(matches.Select(m => (m.ResourceType, m.Id)));
        var included = new List<StoredResource>();
        foreach (var pass in new[] { false, true })
        {
            var sources = pass ? matches.Concat(included).ToList() : matches;
            foreach (var directive in includes.Where(d => d.Iterate == pass))
            {
                var found = await IncludeOneAsync(connection, tenantId, directive, sources, ct);
                foreach (var resource in found)
                    if (mayRead(resource.ResourceType) && seen.Add((resource.ResourceType, resource.Id))) included.Add(resource);
            }
        }
        return included;
    }

    static async Task<IReadOnlyList<StoredResource>> IncludeOneAsync(DbConnection connection, string tenantId, IncludeDirective directive, List<StoredResource> sources, CancellationToken ct)
    {
        // Include: references held by the page's SourceType resources. Revinclude: SourceType resources referencing the page.
        var ids = directive.Reverse
            ? sources.Select(s => s.Id).Distinct().ToList()
            : sources.Where(s => s.ResourceType == directive.SourceType).Select(s => s.Id).Distinct().ToList();
        if (ids.Count == 0) return [];
        var parameters = new DynamicParameters(new { tenantId, source = directive.SourceType, param = directive.Param, target = directive.TargetType, limit = MaxIncludedPerDirective });
        var names = new List<string>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            parameters.Add("i" + i, ids[i]);
            names.Add("@i" + i);
        }
        string sql;
        if (!directive.Reverse)
        {
            sql = "SELECT r.resource_type AS ResourceType, r.id AS Id, r.version_id AS VersionId, r.last_updated AS LastUpdated, r.body AS Body FROM fhir_idx_reference x"
                + " JOIN fhir_resources r ON r.tenant_id = x.tenant_id AND r.resource_type = x.target_type AND r.id = x.target_id"
                + $" WHERE x.tenant_id = @tenantId AND x.resource_type = @source AND x.param = @param AND x.resource_id IN ({string.Join(", ", names)}) AND r.deleted = 0"
                + (directive.TargetType is null ? "" : " AND x.target_type = @target")
                + " ORDER BY r.resource_type, r.id LIMIT @limit";
        }
        else
        {
            // The page's types: a revinclude's references name their target type.
            var types = sources.Select(s => s.ResourceType).Distinct().ToList();
            for (var i = 0; i < types.Count; i++) parameters.Add("t" + i, types[i]);
            sql = "SELECT r.resource_type AS ResourceType, r.id AS Id, r.version_id AS VersionId, r.last_updated AS LastUpdated, r.body AS Body FROM fhir_idx_reference x"
                + " JOIN fhir_resources r ON r.tenant_id = x.tenant_id AND r.resource_type = x.resource_type AND r.id = x.resource_id"
                + $" WHERE x.tenant_id = @tenantId AND x.resource_type = @source AND x.param = @param AND x.target_id IN ({string.Join(", ", names)})"
                + $" AND x.target_type IN ({string.Join(", ", types.Select((_, i) => "@t" + i))}) AND r.deleted = 0"
                + (directive.TargetType is null ? "" : " AND x.target_type = @target")
                + " ORDER BY r.id LIMIT @limit";
        }
        var rows = await connection.QueryAsync<IncludeRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        return rows.Select(r => new StoredResource(r.ResourceType, r.Id, r.VersionId, r.LastUpdated, false, r.Body)).ToList();
    }
}
