using System.Globalization;
using System.Text;
using Carevault.Fhir.Spec;
using Dapper;

namespace Carevault.Records.Search;

/// <summary>
/// Turns a parsed search into SQL that both engines run unchanged. Each criterion is an <c>r.id IN (…)</c> over one
/// index table, whose lookup index (tenant_id, resource_type, param, value…, resource_id) answers it alone; results
/// are in id order and a page continues after the last id (keyset), so concurrent writes never shift a page.
/// Every value is a parameter; table and column names come from this class only.
/// </summary>
public sealed partial class SearchSql
{
    readonly DynamicParameters _parameters = new();
    readonly long _now;
    int _next;

    SearchSql(long now) => _now = now;

    public string PageSql { get; private set; } = "";
    public string CountSql { get; private set; } = "";
    public DynamicParameters Parameters => _parameters;

    /// <param name="now">Unix milliseconds, for the <c>ap</c> prefix.</param>
    public static SearchSql Build(string tenantId, SearchQuery query, long now)
    {
        var sql = new SearchSql(now);
        sql._parameters.Add("tenant", tenantId);
        sql._parameters.Add("type", query.ResourceType);
        var where = new StringBuilder("r.tenant_id = @tenant AND r.resource_type = @type AND r.deleted = 0");
        foreach (var criterion in query.Criteria) where.Append(" AND ").Append(sql.Criterion(criterion));
        foreach (var patientId in query.PatientCompartments) where.Append(" AND ").Append(sql.InPatientCompartment(query.ResourceType, patientId));
        sql.CountSql = "SELECT COUNT(*) FROM fhir_resources r WHERE " + where;
        if (query.After is not null) where.Append(" AND r.id > ").Append(sql.Add(query.After));
        sql._parameters.Add("limit", query.Count + 1);
        sql.PageSql = "SELECT r.id AS Id, r.version_id AS VersionId, r.last_updated AS LastUpdated, r.deleted AS Deleted, r.body AS Body FROM fhir_resources r WHERE "
            + where + " ORDER BY r.id LIMIT @limit";
        return sql;
    }

    string Add(object value)
    {
        var name = "p" + _next++.ToString(CultureInfo.InvariantCulture);
        _parameters.Add(name, value);
        return "@" + name;
    }

    static string Table(SearchParamType type) => type switch
    {
        SearchParamType.Token => "fhir_idx_token",
        SearchParamType.String => "fhir_idx_string",
        SearchParamType.Date => "fhir_idx_date",
        SearchParamType.Reference => "fhir_idx_reference",
        SearchParamType.Quantity or SearchParamType.Number => "fhir_idx_quantity",
        SearchParamType.Uri => "fhir_idx_uri",
        _ => throw new InvalidOperationException($"No index table for {type}."),
    };

    string Subquery(SearchCriterion criterion, string? condition) =>
        $"(SELECT resource_id FROM {Table(criterion.Type)} WHERE tenant_id = @tenant AND resource_type = @type AND param = {Add(criterion.Code)}"
        + (condition is null ? ")" : $" AND ({condition}))");

    string Criterion(SearchCriterion criterion)
    {
        if (criterion.Values is [MissingValue missing])
            return (missing.Missing ? "r.id NOT IN " : "r.id IN ") + Subquery(criterion, null);
        if (criterion.Code == "_id")
            return "r.id IN (" + string.Join(", ", criterion.Values.Cast<IdValue>().Select(v => Add(v.Id))) + ")";
        if (criterion.Code == "_lastUpdated")
            return "(" + string.Join(" OR ", criterion.Values.Cast<DateValue>().Select(v => DateCondition(v, "r.last_updated", "r.last_updated"))) + ")";

        var alternatives = string.Join(" OR ", criterion.Values.Select(v => "(" + ValueCondition(criterion, v) + ")"));
        return (criterion.Modifier == "not" ? "r.id NOT IN " : "r.id IN ") + Subquery(criterion, alternatives);
    }

    string ValueCondition(SearchCriterion criterion, SearchValue value) => value switch
    {
        TokenValue { System: null } t => "code = " + Add(t.Code!),
        TokenValue { Code: null } t => "system = " + Add(t.System!),
        TokenValue t => $"system = {Add(t.System!)} AND code = {Add(t.Code!)}",
        StringValue s => StringCondition(criterion.Modifier, s.Text),
        DateValue d => DateCondition(d, "low", "high"),
        ReferenceValue { Type: null } r => "target_id = " + Add(r.Id),
        ReferenceValue r => $"target_id = {Add(r.Id)} AND target_type = {Add(r.Type)}",
        NumberValue n => NumberCondition(n),
        UriValue u when criterion.Modifier == "below" => $"value LIKE {Add(EscapeLike(u.Uri) + "%")} ESCAPE '\\'",
        UriValue u => "value = " + Add(u.Uri),
        _ => throw new InvalidOperationException($"Unexpected search value {value.GetType().Name}."),
    };

    string StringCondition(string? modifier, string text)
    {
        if (modifier == "exact") return "exact = " + Add(text);
        var normalized = SearchText.Normalize(text);
        if (modifier == "contains") return $"normalized LIKE {Add("%" + EscapeLike(normalized) + "%")} ESCAPE '\\'";
        // Prefix as a range, so the index answers it on both engines (byte order: BINARY on SQLite, COLLATE "C" on PostgreSQL).
        return $"normalized >= {Add(normalized)} AND normalized < {Add(normalized + "\U0010FFFF")}";
    }

    /// <summary>FHIR R4 search.html#prefix over the resource's range [low, high] and the value's range.</summary>
    string DateCondition(DateValue value, string low, string high)
    {
        var from = value.Range.Low;
        var to = value.Range.High;
        string P(long v) => Add(v);
        return value.Prefix switch
        {
            SearchPrefix.Eq => $"{low} >= {P(from)} AND {high} <= {P(to)}",
            SearchPrefix.Ne => $"NOT ({low} >= {P(from)} AND {high} <= {P(to)})",
            SearchPrefix.Gt => $"{high} > {P(to)}",
            SearchPrefix.Lt => $"{low} < {P(from)}",
            SearchPrefix.Ge => $"({high} > {P(to)} OR ({low} >= {P(from)} AND {high} <= {P(to)}))",
            SearchPrefix.Le => $"({low} < {P(from)} OR ({low} >= {P(from)} AND {high} <= {P(to)}))",
            SearchPrefix.Sa => $"{low} > {P(to)}",
            SearchPrefix.Eb => $"{high} < {P(from)}",
            // "approximately": overlapping the value widened by 10% of its distance from now (at least a day).
            _ => ApproximateDate(low, high, from, to),
        };
    }

    string ApproximateDate(string low, string high, long from, long to)
    {
        var slack = Math.Max((long)TimeSpan.FromDays(1).TotalMilliseconds, Math.Abs(_now - from) / 10);
        return $"{low} <= {Add(to + slack)} AND {high} >= {Add(from - slack)}";
    }

    string NumberCondition(NumberValue n)
    {
        var condition = n.Prefix switch
        {
            SearchPrefix.Eq => $"value >= {Add(n.Low)} AND value < {Add(n.High)}",
            SearchPrefix.Ne => $"NOT (value >= {Add(n.Low)} AND value < {Add(n.High)})",
            SearchPrefix.Gt or SearchPrefix.Sa => "value > " + Add(n.Value),
            SearchPrefix.Lt or SearchPrefix.Eb => "value < " + Add(n.Value),
            SearchPrefix.Ge => "value >= " + Add(n.Value),
            SearchPrefix.Le => "value <= " + Add(n.Value),
            _ => $"value >= {Add(n.Value * 0.9)} AND value <= {Add(n.Value * 1.1)}",
        };
        if (n.System is not null) condition += " AND system = " + Add(n.System);
        if (n.Code is not null) condition += " AND code = " + Add(n.Code);
        return condition;
    }

    static string EscapeLike(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
