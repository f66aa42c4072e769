using System.Globalization;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Http;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// The parameters every history interaction takes (FHIR R4 http.html#history): <c>_count</c>, <c>_since</c>, and the
/// paging cursor (a history sequence) — read once here, with the self and next links they produce.
/// </summary>
internal sealed record HistoryParameters(int Count, long? Since, string? SinceText, long? Before)
{
    /// <summary>The parameters, or a 400 OperationOutcome naming the bad one.</summary>
    public static FhirResult? TryRead(HttpContext http, out HistoryParameters parameters)
    {
        parameters = null!;
        var query = http.Request.Query;
        var count = SearchQueryParser.DefaultCount;
        long? since = null, before = null;
        if (query["_count"].ToString() is { Length: > 0 } c && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > SearchQueryParser.MaxCount))
            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", $"_count must be a whole number from 0 to {SearchQueryParser.MaxCount}.");
        var sinceText = query["_since"].ToString() is { Length: > 0 } s ? s : null;
        if (sinceText is not null)
        {
            if (!FhirDateRange.TryParse(sinceText, out var range)) return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "_since must be an instant.");
            since = range.Low;
        }
        if (query[SearchQueryParser.CursorParameter].ToString() is { Length: > 0 } cursor)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var b)) return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", "The paging cursor is not valid.");
            before = b;
        }
        parameters = new HistoryParameters(count, since, sinceText, before);
        return null;
    }

    /// <summary>Self, and next when the page is full: it continues after the last entry's history sequence.</summary>
    public List<BundleWriter.Link> Links(string path, IReadOnlyList<HistoryEntry> entries)
    {
        var echo = new List<KeyValuePair<string, string>> { new("_count", Count.ToString(CultureInfo.InvariantCulture)) };
        if (SinceText is not null) echo.Add(new("_since", SinceText));
        var links = new List<BundleWriter.Link> { new("self", path + BundleWriter.Query(Before is null ? echo : [.. echo, new(SearchQueryParser.CursorParameter, BundleWriter.Number(Before.Value))])) };
        if (entries.Count == Count && Count > 0)
            links.Add(new("next", path + BundleWriter.Query([.. echo, new(SearchQueryParser.CursorParameter, BundleWriter.Number(entries[^1].Seq))])));
        return links;
    }
}
