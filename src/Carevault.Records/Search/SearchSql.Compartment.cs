using Carevault.Fhir.Spec;

namespace Carevault.Records.Search;

public sealed partial class SearchSql
{
    /// <summary>
    /// The resource is in <c>Patient/{patientId}</c>'s compartment (FHIR R4 compartmentdefinition-patient): it is that
    /// Patient, or one of its type's compartment parameters references it — answered by the reference index's lookup
    /// index (tenant_id, resource_type, param, target_id, target_type, resource_id). A type outside the compartment matches nothing.
    /// </summary>
    internal string InPatientCompartment(string resourceType, string patientId) =>
        InPatientCompartment(resourceType, patientId, "r.id", "@tenant", "@type");

    /// <param name="idColumn">The resource id column of the outer query.</param>
    /// <param name="tenant">SQL naming the tenant.</param>
    /// <param name="type">SQL naming <paramref name="resourceType"/> (a parameter or column).</param>
    internal string InPatientCompartment(string resourceType, string patientId, string idColumn, string tenant, string type)
    {
        var alternatives = new List<string>(2);
        var patient = Add(patientId);
        if (resourceType == "Patient") alternatives.Add($"{idColumn} = {patient}");
        var parameters = PatientCompartment.ParametersOf(resourceType);
        if (parameters.Count > 0)
        {
            alternatives.Add($"{idColumn} IN (SELECT resource_id FROM fhir_idx_reference WHERE tenant_id = {tenant} AND resource_type = {type}"
                + $" AND param IN ({string.Join(", ", parameters.Select(p => Add(p)))}) AND target_id = {patient} AND target_type = 'Patient')");
        }
        return alternatives.Count == 0 ? "1 = 0" : "(" + string.Join(" OR ", alternatives) + ")";
    }

    /// <summary>
    /// <c>Patient/{id}/$everything</c>: the Patient and every resource of <paramref name="types"/> in its compartment, in id
    /// order, a page after <paramref name="after"/>; resources of several types, so each row names its type. The Patient
    /// itself is included with <paramref name="includeSelf"/> even when Patient is not among <paramref name="types"/> (the
    /// caller may read it without being allowed to search Patients).
    /// </summary>
    public static SearchSql Everything(string tenantId, string patientId, IReadOnlyList<string> types, bool includeSelf, string? after, int count)
    {
        var sql = new SearchSql(0);
        sql._parameters.Add("tenant", tenantId);
        var perType = types.Select(t =>
        {
            var type = sql.Add(t);
            return $"(r.resource_type = {type} AND {sql.InPatientCompartment(t, patientId, "r.id", "@tenant", type)})";
        }).ToList();
        if (includeSelf && !types.Contains("Patient")) perType.Add($"(r.resource_type = 'Patient' AND r.id = {sql.Add(patientId)})");
        var where = "r.tenant_id = @tenant AND r.deleted = 0 AND " + (perType.Count == 0 ? "1 = 0" : "(" + string.Join(" OR ", perType) + ")");
        sql.CountSql = "SELECT COUNT(*) FROM fhir_resources r WHERE " + where;
        if (after is not null) where += " AND r.id > " + sql.Add(after);
        sql._parameters.Add("limit", count + 1);
        sql.PageSql = "SELECT r.resource_type AS ResourceType, r.id AS Id, r.version_id AS VersionId, r.last_updated AS LastUpdated, r.deleted AS Deleted, r.body AS Body FROM fhir_resources r WHERE "
            + where + " ORDER BY r.id LIMIT @limit";
        return sql;
    }
}
