using Carevault.Fhir.Spec;
using Dapper;

namespace Carevault.Records.Export;

/// <summary>
/// One page of an export's resources of one type, in id order after a cursor, each as it was at the export's
/// transaction time (Bulk Data IG v2 export.html: resources modified up to and including that instant, none after):
/// a current row last updated by then is that version; a row updated since is replaced by its newest history version
/// from before then (none when it was created later), and deleted versions are left out. Patient and Group exports
/// keep the resources in the compartment of any Patient, or of the Group's members (compartment membership as indexed
/// for the current version).
/// </summary>
internal static class ExportQuery
{
    public sealed class Row
    {
        public string Id { get; set; } = "";
        public string Body { get; set; } = "";
    }

    public static CommandDefinition Page(ExportJob job, string type, string? after, int limit, CancellationToken ct)
    {
        var parameters = new DynamicParameters();
        parameters.Add("tenant", job.TenantId);
        parameters.Add("type", type);
        parameters.Add("at", job.TransactionTime);
        parameters.Add("limit", limit);
        parameters.Add("job", job.Id);
        var filter = "";
        if (after is not null)
        {
            parameters.Add("after", after);
            filter += " AND r.id > @after";
        }
        filter += Compartment(job.Level, type, parameters);
        var since = "";
        if (job.Since is { } sinceValue)
        {
            parameters.Add("since", sinceValue);
            since = " AND {0}.last_updated > @since";
        }
        // Each branch is limited on its own, so neither backend sorts more than two pages (SQLite would otherwise
        // materialise the whole type to order the union).
        var sql = $"""
            SELECT x.id AS Id, x.body AS Body FROM (
                SELECT * FROM (
                    SELECT r.id, r.body FROM fhir_resources r
                    WHERE r.tenant_id = @tenant AND r.resource_type = @type AND r.deleted = 0 AND r.last_updated <= @at{string.Format(System.Globalization.CultureInfo.InvariantCulture, since, "r")}{filter}
                    ORDER BY r.id LIMIT @limit) a
                UNION ALL
                SELECT * FROM (
                    SELECT h.id, h.body FROM fhir_resources r
                    JOIN fhir_history h ON h.tenant_id = r.tenant_id AND h.resource_type = r.resource_type AND h.id = r.id
                    WHERE r.tenant_id = @tenant AND r.resource_type = @type AND r.last_updated > @at{filter} AND h.deleted = 0{string.Format(System.Globalization.CultureInfo.InvariantCulture, since, "h")}
                        AND h.version_id = (SELECT MAX(v.version_id) FROM fhir_history v
                                            WHERE v.tenant_id = r.tenant_id AND v.resource_type = r.resource_type AND v.id = r.id AND v.last_updated <= @at)
                    ORDER BY r.id LIMIT @limit) b
            ) x ORDER BY x.id LIMIT @limit
            """;
        return new CommandDefinition(sql, parameters, cancellationToken: ct);
    }

    static string Compartment(string level, string type, DynamicParameters parameters)
    {
        if (level == ExportLevel.System) return "";
        const string members = "SELECT p.patient_id FROM fhir_export_patients p WHERE p.job_id = @job";
        if (type == "Patient") return level == ExportLevel.Group ? $" AND r.id IN ({members})" : "";
        var names = PatientCompartment.ParametersOf(type);
        if (names.Count == 0) return " AND 1 = 0";
        var list = new List<string>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            parameters.Add("p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), names[i]);
            list.Add("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return $" AND r.id IN (SELECT i.resource_id FROM fhir_idx_reference i WHERE i.tenant_id = @tenant AND i.resource_type = @type AND i.param IN ({string.Join(", ", list)})"
            + " AND i.target_type = 'Patient'" + (level == ExportLevel.Group ? $" AND i.target_id IN ({members})" : "") + ")";
    }
}

/// <summary>The three kick-off levels of the Bulk Data IG.</summary>
internal static class ExportLevel
{
    public const string System = "system";
    public const string Patient = "patient";
    public const string Group = "group";
}
