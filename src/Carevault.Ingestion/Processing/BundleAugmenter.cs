using System.Globalization;
using System.Text.Json.Nodes;
using Carevault.Ingestion.Jobs;

namespace Carevault.Ingestion.Processing;

/// <summary>
/// Adds to a job's transaction Bundle what the platform records about every ingestion: a DocumentReference whose
/// attachment points at the stored original (when the mapper did not add one), and a Provenance whose targets are
/// every resource the Bundle creates or updates, whose entity is the original (by RFC 6920 hash name and job id) and
/// whose agent is the submitting client or user (FHIR R4 provenance.html).
/// </summary>
internal static class BundleAugmenter
{
    public const string JobIdentifierSystem = "urn:carevault:ingestion-job";
    public const string ClientIdentifierSystem = "urn:carevault:client-id";
    public const string UserIdentifierSystem = "urn:carevault:user-id";

    /// <summary>RFC 6920 "named information" URI of the original: <c>ni:///sha-256;&lt;base64url&gt;</c>.</summary>
    public static string NamedInformation(string sha256Hex) =>
        "ni:///sha-256;" + Convert.ToBase64String(Convert.FromHexString(sha256Hex)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static void Augment(JsonObject bundle, IngestionJob job, string originalUrl, bool addDocumentReference, DateTimeOffset now)
    {
        if (bundle["entry"] is not JsonArray entries)
        {
            entries = [];
            bundle["entry"] = entries;
        }
        var targets = new List<string>();
        string? patient = null;
        string? originalDocument = null;
        foreach (var node in entries)
        {
            if (node is not JsonObject entry || entry["request"] is not JsonObject request) continue;
            var method = Text(request["method"]);
            var resource = entry["resource"] as JsonObject;
            string? reference = null;
            if (method == "POST")
            {
                if (Text(entry["fullUrl"]) is not { } fullUrl)
                {
                    fullUrl = NewUrn();
                    entry["fullUrl"] = fullUrl;
                }
                reference = fullUrl;
            }
            else if (method == "PUT")
            {
                // A conditional update (the mapper's ADT Patient) is found by its fullUrl: its url is a search, which the
                // store resolves before the entry is written (and matches nothing when the entry creates).
                reference = Text(entry["fullUrl"]) ?? Text(request["url"]);
            }
            if (reference is null || resource is null) continue;
            targets.Add(reference);
            var type = Text(resource["resourceType"]);
            if (type == "Patient") patient ??= reference;
            if (type == "DocumentReference" && PointsAt(resource, originalUrl)) originalDocument ??= reference;
        }

        var instant = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var hashName = NamedInformation(job.Sha256);
        if (addDocumentReference && originalDocument is null && targets.Count > 0)
        {
            originalDocument = NewUrn();
            var attachment = new JsonObject { ["contentType"] = job.ContentType, ["url"] = originalUrl };
            if (job.SizeBytes <= int.MaxValue) attachment["size"] = job.SizeBytes;
            var document = new JsonObject
            {
                ["resourceType"] = "DocumentReference",
                ["masterIdentifier"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["value"] = hashName },
                ["status"] = "current",
                ["date"] = instant,
                ["content"] = new JsonArray(new JsonObject { ["attachment"] = attachment }),
            };
            if (job.ReportType is { } reportType) document["type"] = new JsonObject { ["text"] = reportType };
            if (patient is not null) document["subject"] = new JsonObject { ["reference"] = patient };
            entries.Add(new JsonObject
            {
                ["fullUrl"] = originalDocument,
                ["resource"] = document,
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "DocumentReference" },
            });
            targets.Add(originalDocument);
        }
        if (targets.Count == 0) return;

        var original = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["value"] = hashName } };
        if (originalDocument is not null) original["reference"] = originalDocument;
        var provenance = new JsonObject
        {
            ["resourceType"] = "Provenance",
            ["target"] = new JsonArray([.. targets.Select(t => (JsonNode)new JsonObject { ["reference"] = t })]),
            ["recorded"] = instant,
            ["activity"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-DataOperation", ["code"] = "CREATE" }),
            },
            ["agent"] = new JsonArray(new JsonObject
            {
                ["type"] = new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/provenance-participant-type", ["code"] = "author" }),
                },
                ["who"] = new JsonObject
                {
                    ["identifier"] = new JsonObject
                    {
                        ["system"] = job.SubmitterKind == "client" ? ClientIdentifierSystem : UserIdentifierSystem,
                        ["value"] = job.Submitter,
                    },
                },
            }),
            ["entity"] = new JsonArray(
                new JsonObject { ["role"] = "source", ["what"] = original },
                new JsonObject { ["role"] = "source", ["what"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = JobIdentifierSystem, ["value"] = job.Id } } }),
        };
        entries.Add(new JsonObject
        {
            ["fullUrl"] = NewUrn(),
            ["resource"] = provenance,
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Provenance" },
        });
    }

    static bool PointsAt(JsonObject document, string url) =>
        document["content"] is JsonArray content
        && content.Any(c => c is JsonObject o && o["attachment"] is JsonObject a && Text(a["url"]) == url);

    internal static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    static string NewUrn() => "urn:uuid:" + Guid.NewGuid().ToString("D");
}
