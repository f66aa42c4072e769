using System.Data.Common;
using Carevault.Records.Search;
using Dapper;

namespace Carevault.Records.Store;

/// <summary>Replaces a resource's search-index rows inside the caller's transaction.</summary>
internal static class IndexWriter
{
    static readonly string[] Tables = ["fhir_idx_token", "fhir_idx_string", "fhir_idx_date", "fhir_idx_reference", "fhir_idx_quantity", "fhir_idx_uri"];

    static readonly string DeleteAll = string.Concat(Tables.Select(t =>
        $"DELETE FROM {t} WHERE tenant_id = @Tenant AND resource_type = @Type AND resource_id = @Id;\n"));

    public static async Task DeleteAsync(DbConnection connection, DbTransaction transaction, string tenant, string type, string id, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(DeleteAll, new { Tenant = tenant, Type = type, Id = id }, transaction, cancellationToken: ct));
    }

    public static async Task InsertAsync(DbConnection connection, DbTransaction transaction, string tenant, string type, string id, IndexRows rows, CancellationToken ct)
    {
        // TODO(group commit writer, decision 0003): multi-row VALUES per table once writes are batched.
        if (rows.Tokens.Count > 0)
            await Execute(connection, transaction, "INSERT INTO fhir_idx_token (tenant_id, resource_type, param, system, code, resource_id) VALUES (@Tenant, @Type, @Param, @System, @Code, @Id)",
                rows.Tokens.Select(r => new { Tenant = tenant, Type = type, Id = id, r.Param, r.System, r.Code }), ct);
        if (rows.Strings.Count > 0)
            await Execute(connection, transaction, "INSERT INTO fhir_idx_string (tenant_id, resource_type, param, normalized, exact, resource_id) VALUES (@Tenant, @Type, @Param, @Normalized, @Exact, @Id)",
                rows.Strings.Select(r => new { Tenant = tenant, Type = type, Id = id, r.Param, r.Normalized, r.Exact }), ct);
        if (rows.Dates.Count > 0)
            await Execute(connection, transaction, "INSERT INTO fhir_idx_date (tenant_id, resource_type, param, low, high, resource_id) VALUES (@Tenant, @Type, @Param, @Low, @High, @Id)",
                rows.Dates.Select(r => new { Tenant = tenant, Type = type, Id = id, r.Param, r.Low, r.High }), ct);
        if (rows.References.Count > 0)
            await Execute(connection, transaction, "INSERT INTO fhir_idx_reference (tenant_id, resource_type, param, target_type, target_id, resource_id) VALUES (@Tenant, @Type, @Param, @TargetType, @TargetId, @Id)",
                rows.References.Select(r => new { Tenant = tenant, Type = type, Id = id, r.Param, r.TargetType, r.TargetId }), ct);
        if (rows.Quantities.Count > 0)
            await Execute(connection, transaction, "INSERT INTO fhir_idx_quantity (tenant_id, resource_type, param, system, code, value, resource_id) VALUES (@Tenant, @Type, @Param, @System, @Code, @Value, @Id)",
                rows.Quantities.Select(r => new { Tenant = tenant, Type = type, Id = id, r.Param, r.System, r.Code, r.Value }), ct);
        if (rows.Uris.Count > 0)
            await Execute(connection, transaction, "INSERT INTO fhir_idx_uri (tenant_id, resource_type, param, value, resource_id) VALUES (@Tenant, @Type, @Param, @Value, @Id)",
                rows.Uris.Select(r => new { Tenant = tenant, Type = type, Id = id, r.Param, r.Value }), ct);
    }

    static Task<int> Execute(DbConnection connection, DbTransaction transaction, string sql, IEnumerable<object> rows, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(sql, rows, transaction, cancellationToken: ct));
}
