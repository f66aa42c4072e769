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
        // A reference to specific resources (patient=…, subject=…, encounter=…) matches a handful of rows: its IN list
        // drives (each id looked up by primary key, in id order), and every other simple criterion is probed per
        // candidate through its table's owner index (tenant, type, resource id, param). As IN lists too, each would be
        // materialised in full first — a date range alone can hold a quarter of the table (decision 0007).
        var driver = Driver(query.Criteria);
        foreach (var criterion in query.Criteria)
        {
            var probe = driver is not null && !ReferenceEquals(criterion, driver) && IsSimple(criterion);
            where.Append(" AND ").Append(probe ? sql.Probe(criterion) : sql.Criterion(criterion, "r", "@type"));
        }
        foreach (var patientId in query.PatientCompartments) where.Append(" AND ").Append(sql.InPatientCompartment(query.ResourceType, patientId));
        sql.CountSql = "SELECT COUNT(*) FROM fhir_resources r WHERE " + where;
        sql._parameters.Add("limit", query.Count + 1);
        if (query.Sort.Count == 0)
        {
            if (query.After is not null) where.Append(" AND r.id > ").Append(sql.Add(query.After));
            sql.PageSql = "SELECT r.id AS Id, r.version_id AS VersionId, r.last_updated AS LastUpdated, r.deleted AS Deleted, r.body AS Body FROM fhir_resources r WHERE "
                + where + " ORDER BY r.id LIMIT @limit";
            return sql;
        }

        // _sort (search.html#sort): each key is the resource's lowest value ascending, highest descending; resources
        // without a value come last either way (sentinels). Keys are computed per match, then ordered with the id as
        // the final tie-breaker, and the next page continues after the last row's (values…, id) tuple.
        var columns = new StringBuilder();
        var order = new StringBuilder();
        for (var i = 0; i < query.Sort.Count; i++)
        {
            var key = query.Sort[i];
            columns.Append(", ").Append(sql.SortExpression(key)).Append(" AS s").Append(i.ToString(CultureInfo.InvariantCulture));
            order.Append('s').Append(i.ToString(CultureInfo.InvariantCulture)).Append(key.Descending ? " DESC, " : ", ");
        }
        var inner = "SELECT r.id AS Id, r.version_id AS VersionId, r.last_updated AS LastUpdated, r.deleted AS Deleted, r.body AS Body" + columns
            + " FROM fhir_resources r WHERE " + where;
        var keyset = query.SortAfter is { } after ? " WHERE " + sql.Keyset(query.Sort, after) : "";
        sql.PageSql = "SELECT * FROM (" + inner + ") q" + keyset + " ORDER BY " + order + "q.Id LIMIT @limit";
        return sql;
    }

    /// <summary>A criterion of plain values on one index table (no modifier that negates, no chain, _has or composite).</summary>
    static bool IsSimple(SearchCriterion criterion) =>
        criterion.Code is not ("_id" or "_lastUpdated") && criterion.Modifier is null or "exact" or "contains" or "below"
        && criterion.Values.Count > 0
        && criterion.Values.All(v => v is TokenValue or StringValue or DateValue or ReferenceValue or NumberValue or UriValue);

    /// <summary>The criterion that drives the query: the first reference to specific resources, unless ids are given.</summary>
    static SearchCriterion? Driver(IReadOnlyList<SearchCriterion> criteria) =>
        criteria.Any(c => c.Code == "_id") ? null
            : criteria.FirstOrDefault(c => c.Type == SearchParamType.Reference && c.Modifier is null && IsSimple(c));

    /// <summary>The criterion checked for the current row through the owner index (tenant, type, resource id).</summary>
    string Probe(SearchCriterion criterion)
    {
        var alternatives = string.Join(" OR ", criterion.Values.Select(v => "(" + ValueCondition(criterion, v) + ")"));
        return $"EXISTS (SELECT 1 FROM {Table(criterion.Type)} WHERE tenant_id = @tenant AND resource_type = @type AND resource_id = r.id AND param = {Add(criterion.Code)} AND ({alternatives}))";
    }

    string SortExpression(SortKey key)
    {
        if (key.Code == "_id") return "r.id";
        if (key.Code == "_lastUpdated") return "r.last_updated";
        var (column, table) = key.Type switch
        {
            SearchParamType.Date => (key.Descending ? "MAX(high)" : "MIN(low)", "fhir_idx_date"),
            SearchParamType.String => (key.Descending ? "MAX(normalized)" : "MIN(normalized)", "fhir_idx_string"),
            SearchParamType.Token => (key.Descending ? "MAX(code)" : "MIN(code)", "fhir_idx_token"),
            SearchParamType.Number or SearchParamType.Quantity => (key.Descending ? "MAX(value)" : "MIN(value)", "fhir_idx_quantity"),
            SearchParamType.Uri => (key.Descending ? "MAX(value)" : "MIN(value)", "fhir_idx_uri"),
            _ => (key.Descending ? "MAX(target_id)" : "MIN(target_id)", "fhir_idx_reference"),
        };
        // Missing values sort last: the greatest value ascending, the least descending.
        var missing = SortCursor.KindOf(key) switch
        {
            SortCursor.SortValueKind.Integer => key.Descending ? "-9223372036854775807" : "9223372036854775807",
            SortCursor.SortValueKind.Real => key.Descending ? "-1e308" : "1e308",
            _ => key.Descending ? "''" : Add("\U0010FFFF"),
        };
        return $"COALESCE((SELECT {column} FROM {table} WHERE tenant_id = @tenant AND resource_type = @type AND param = {Add(key.Code)} AND resource_id = r.id), {missing})";
    }

    /// <summary>Rows strictly after <paramref name="after"/> (sort values, then id) in the sort order.</summary>
    string Keyset(IReadOnlyList<SortKey> keys, IReadOnlyList<object> after)
    {
        var alternatives = new List<string>();
        for (var i = 0; i <= keys.Count; i++)
        {
            var terms = new List<string>();
            for (var j = 0; j < i; j++) terms.Add($"s{j.ToString(CultureInfo.InvariantCulture)} = {Add(after[j])}");
            terms.Add(i == keys.Count
                ? $"q.Id > {Add(after[i])}"
                : $"s{i.ToString(CultureInfo.InvariantCulture)} {(keys[i].Descending ? "<" : ">")} {Add(after[i])}");
            alternatives.Add("(" + string.Join(" AND ", terms) + ")");
        }
        return "(" + string.Join(" OR ", alternatives) + ")";
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

    string Subquery(SearchCriterion criterion, string? condition, string typeParam) =>
        $"(SELECT resource_id FROM {Table(criterion.Type)} WHERE tenant_id = @tenant AND resource_type = {typeParam} AND param = {Add(criterion.Code)}"
        + (condition is null ? ")" : $" AND ({condition}))");

    /// <param name="alias">The fhir_resources alias the criterion filters.</param>
    /// <param name="typeParam">The SQL parameter holding that alias's resource type.</param>
    string Criterion(SearchCriterion criterion, string alias, string typeParam)
    {
        if (criterion.Values is [MissingValue missing])
            return (missing.Missing ? $"{alias}.id NOT IN " : $"{alias}.id IN ") + Subquery(criterion, null, typeParam);
        if (criterion.Code == "_id")
            return $"{alias}.id IN (" + string.Join(", ", criterion.Values.Cast<IdValue>().Select(v => Add(v.Id))) + ")";
        if (criterion.Code == "_lastUpdated")
            return "(" + string.Join(" OR ", criterion.Values.Cast<DateValue>().Select(v => DateCondition(v, $"{alias}.last_updated", $"{alias}.last_updated"))) + ")";
        if (criterion.Values is [HasValue has]) return $"{alias}.id IN " + Has(has, typeParam);
        if (criterion.Values is [ChainValue, ..])
            return $"{alias}.id IN " + Subquery(criterion, string.Join(" OR ", criterion.Values.Cast<ChainValue>().Select(Chain)), typeParam);
        if (criterion.Values is [CompositeValue, ..])
        {
            var table = criterion.Values[0] is CompositeValue { Second: NumberValue } ? "fhir_idx_quantity" : "fhir_idx_token";
            var pairs = string.Join(" OR ", criterion.Values.Cast<CompositeValue>().Select(v => "(" + CompositeCondition(v) + ")"));
            return $"{alias}.id IN (SELECT resource_id FROM {table} WHERE tenant_id = @tenant AND resource_type = {typeParam} AND param = {Add(criterion.Code)} AND ({pairs}))";
        }
        if (criterion.Modifier == "text")
        {
            // :text matches the folded text/display strings indexed under "<code>:text" (SearchIndexer).
            var texts = string.Join(" OR ", criterion.Values.Cast<TokenTextValue>().Select(v => "(" + StringCondition(null, v.Text) + ")"));
            return $"{alias}.id IN (SELECT resource_id FROM fhir_idx_string WHERE tenant_id = @tenant AND resource_type = {typeParam} AND param = {Add(criterion.Code + SearchIndexer.TextSuffix)} AND ({texts}))";
        }

        var alternatives = string.Join(" OR ", criterion.Values.Select(v => "(" + ValueCondition(criterion, v) + ")"));
        return (criterion.Modifier == "not" ? $"{alias}.id NOT IN " : $"{alias}.id IN ") + Subquery(criterion, alternatives, typeParam);
    }

    /// <summary>
    /// A composite pair over the rows SearchIndexer.AddComposite writes: system holds the first token (system, separator,
    /// code), code the second part (system, separator, code). A part given without system matches any system.
    /// </summary>
    string CompositeCondition(CompositeValue value)
    {
        var condition = SeparatedCondition("system", value.First.System, value.First.Code!);
        return value.Second switch
        {
            NumberValue n => condition + " AND " + NumberCondition(n with { System = null, Code = null })
                + (n.Code is null ? "" : " AND " + SeparatedCondition("code", n.System, n.Code)),
            TokenValue t => condition + " AND " + SeparatedCondition("code", t.System, t.Code!),
            _ => throw new InvalidOperationException("Unexpected composite part."),
        };
    }

    string SeparatedCondition(string column, string? system, string code) => system is null
        ? $"{column} LIKE {Add("%" + SearchIndexer.CompositeSeparator + EscapeLike(code))} ESCAPE '\\'"
        : $"{column} = {Add(system + SearchIndexer.CompositeSeparator + code)}";

    /// <summary>A chained criterion: the reference's target is a current resource of the type that matches the inner criterion.</summary>
    string Chain(ChainValue chain)
    {
        var targetType = Add(chain.TargetType);
        var alias = "c" + _next.ToString(CultureInfo.InvariantCulture);
        return $"target_type = {targetType} AND target_id IN (SELECT {alias}.id FROM fhir_resources {alias} WHERE {alias}.tenant_id = @tenant AND {alias}.resource_type = {targetType} AND {alias}.deleted = 0 AND "
            + Criterion(chain.Inner, alias, targetType) + ")";
    }

    /// <summary>_has: the ids a current source resource matching the inner criterion references by the parameter.</summary>
    string Has(HasValue has, string typeParam)
    {
        var sourceType = Add(has.SourceType);
        var alias = "h" + _next.ToString(CultureInfo.InvariantCulture);
        return $"(SELECT r.target_id FROM fhir_idx_reference r JOIN fhir_resources {alias} ON {alias}.tenant_id = r.tenant_id AND {alias}.resource_type = r.resource_type AND {alias}.id = r.resource_id"
            + $" WHERE r.tenant_id = @tenant AND r.resource_type = {sourceType} AND r.param = {Add(has.ReferenceParam)} AND r.target_type = {typeParam} AND {alias}.deleted = 0 AND "
            + Criterion(has.Inner, alias, sourceType) + ")";
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
