using System.Text.Json;
using Carevault.Identity.Auditing;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Http;

namespace Carevault.Records.Http;

/// <summary>Tells the audit trail which resources a FHIR interaction touched (decision 0012); no-ops when the call is not audited.</summary>
internal static class AuditedReferences
{
    public static void Add(HttpContext http, string type, string id) => AuditNotes.Of(http)?.AddEntity($"{type}/{id}");

    public static void Add(HttpContext http, IEnumerable<StoredResource> resources)
    {
        if (AuditNotes.Of(http) is not { } notes) return;
        foreach (var resource in resources) notes.AddEntity($"{resource.ResourceType}/{resource.Id}");
    }

    /// <summary>
    /// The store hook that writes the call's audit record inside the write's transaction, as answering
    /// <paramref name="status"/>: the write and its record commit together or not at all. Null when not audited.
    /// </summary>
    public static BeforeCommit? InTransaction(HttpContext http, int status)
    {
        if (AuditNotes.Of(http) is not { } notes) return null;
        return async (connection, transaction, written, ct) =>
        {
            foreach (var resource in written) notes.AddEntity($"{resource.ResourceType}/{resource.Id}");
            await notes.EnlistAsync(connection, transaction, status, ct);
            return null;
        };
    }

    /// <summary>
    /// For a batch, whose entries commit one by one: each written entry's own audit record, inside that entry's
    /// transaction (its action, status and resource), so no entry commits without a record. The batch's own record
    /// (all its entries and the answer) is written by the filter as usual. Null when not audited.
    /// </summary>
    public static Func<int, string, BeforeCommit?>? InBatchEntries(HttpContext http)
    {
        if (AuditNotes.Of(http) is not { } notes) return null;
        return (index, method) => async (connection, transaction, written, ct) =>
        {
            var resource = written.Count > 0 ? written[0] : null;
            var (action, status) = method switch
            {
                "POST" => (AuditAction.Create, StatusCodes.Status201Created),
                "DELETE" => (AuditAction.Delete, StatusCodes.Status204NoContent),
                _ => (AuditAction.Update, resource is { VersionId: 1 } ? StatusCodes.Status201Created : StatusCodes.Status200OK),
            };
            var entities = resource is null ? [] : new[] { $"{resource.ResourceType}/{resource.Id}" };
            await notes.EnlistPartAsync(connection, transaction,
                new AuditPart(status, action, entities, "batch entry " + index.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct);
            return null;
        };
    }

    public static void Query(HttpContext http, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        if (AuditNotes.Of(http) is not { } notes) return;
        notes.Query = BundleWriter.Query(parameters).TrimStart('?');
    }

    /// <summary>
    /// A transaction or batch: the resources its entries wrote, read from the response Bundle (entry n answers request
    /// entry n, FHIR R4 http.html#transaction-response): <c>response.location</c> for creates and updates, the request
    /// url for deletes.
    /// </summary>
    public static void FromBundles(HttpContext http, ReadOnlyMemory<byte> request, string response)
    {
        if (AuditNotes.Of(http) is not { } notes || notes.EnlistedStatus is not null) return;
        using var answer = JsonDocument.Parse(response);
        using var asked = JsonDocument.Parse(request);
        if (!answer.RootElement.TryGetProperty("entry", out var answers) || answers.ValueKind != JsonValueKind.Array) return;
        var requests = asked.RootElement.TryGetProperty("entry", out var e) && e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToList() : [];
        var index = 0;
        foreach (var entry in answers.EnumerateArray())
        {
            if (entry.TryGetProperty("response", out var r))
            {
                if (r.TryGetProperty("location", out var location) && location.GetString() is { } l)
                {
                    var history = l.IndexOf("/_history/", StringComparison.Ordinal);
                    notes.AddEntity(history > 0 ? l[..history] : l);
                }
                else if (r.TryGetProperty("status", out var status) && status.GetString()?.StartsWith("204", StringComparison.Ordinal) == true
                    && index < requests.Count && requests[index].TryGetProperty("request", out var req) && req.TryGetProperty("url", out var url) && url.GetString() is { } u)
                {
                    notes.AddEntity(u);
                }
            }
            index++;
        }
    }
}
