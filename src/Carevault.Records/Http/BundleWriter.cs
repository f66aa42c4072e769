using System.Globalization;
using System.Text.Json;
using Carevault.Records.Store;

namespace Carevault.Records.Http;

/// <summary>Writes searchset and history Bundles (FHIR R4 bundle.html), copying stored bodies as they are.</summary>
internal static class BundleWriter
{
    public sealed record Link(string Relation, string Url);

    /// <param name="included">Resources added by _include/_revinclude (search mode "include").</param>
    /// <param name="project">Rewrites a body before it is written (_elements); null writes it as stored.</param>
    public static string SearchSet(string baseUrl, IReadOnlyList<StoredResource> resources, long? total, IReadOnlyList<Link> links, string? outcome, DateTimeOffset now,
        IReadOnlyList<StoredResource>? included = null, Func<StoredResource, string>? project = null) =>
        FhirResult.Json(w =>
        {
            Start(w, "searchset", total, links, now);
            foreach (var (resource, mode) in resources.Select(r => (r, "match")).Concat((included ?? []).Select(r => (r, "include"))))
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{baseUrl}/{resource.ResourceType}/{resource.Id}");
                w.WritePropertyName("resource");
                w.WriteRawValue(project is null || mode == "include" ? resource.Body : project(resource), skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", mode);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            if (outcome is not null)
            {
                // FHIR R4 search.html#errors: ignored parameters are reported in an OperationOutcome entry.
                w.WriteStartObject();
                w.WritePropertyName("resource");
                w.WriteRawValue(outcome, skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", "outcome");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    public static string History(string baseUrl, IReadOnlyList<HistoryEntry> entries, IReadOnlyList<Link> links, DateTimeOffset now) =>
        FhirResult.Json(w =>
        {
            Start(w, "history", null, links, now);
            foreach (var entry in entries)
            {
                var resource = entry.Resource;
                var url = $"{resource.ResourceType}/{resource.Id}";
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{baseUrl}/{url}");
                if (!resource.Deleted)
                {
                    w.WritePropertyName("resource");
                    w.WriteRawValue(resource.Body, skipInputValidation: true);
                }
                w.WriteStartObject("request");
                w.WriteString("method", resource.Deleted ? "DELETE" : resource.VersionId == 1 ? "POST" : "PUT");
                w.WriteString("url", resource.VersionId == 1 && !resource.Deleted ? resource.ResourceType : url);
                w.WriteEndObject();
                w.WriteStartObject("response");
                w.WriteString("status", resource.Deleted ? "204" : resource.VersionId == 1 ? "201" : "200");
                w.WriteString("etag", resource.ETag);
                w.WriteString("lastModified", ResourceBody.FormatInstant(resource.LastUpdated));
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    static void Start(Utf8JsonWriter w, string type, long? total, IReadOnlyList<Link> links, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString("N"));
        w.WriteStartObject("meta");
        w.WriteString("lastUpdated", ResourceBody.FormatInstant(now.ToUnixTimeMilliseconds()));
        w.WriteEndObject();
        w.WriteString("type", type);
        if (total is { } t) w.WriteNumber("total", t);
        w.WriteStartArray("link");
        foreach (var link in links)
        {
            w.WriteStartObject();
            w.WriteString("relation", link.Relation);
            w.WriteString("url", link.Url);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("entry");
    }

    public static string Query(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var parts = parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)).ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
