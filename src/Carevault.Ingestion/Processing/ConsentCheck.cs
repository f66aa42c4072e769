using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Ingestion.Jobs;
using Carevault.Records.Search;
using Carevault.Records.Store;

namespace Carevault.Ingestion.Processing;

/// <summary>
/// Compliance before commit: refuses a report when an active Consent of its patient has a deny provision naming the
/// submitting organization (FHIR R4 consent.html#provision). The patient is found by the job's identifier, the
/// identifiers of the Bundle's Patient entries (and their ifNoneExist), and literal <c>Patient/id</c> references.
/// The submitter is named in <c>provision.actor.reference</c> either by the job's source (e.g. <c>Organization/123</c>)
/// or by identifier <c>urn:carevault:client-id|&lt;client id&gt;</c>.
/// </summary>
internal sealed class ConsentCheck(ResourceStore store, SearchQueryParser parser)
{
    const int MaxPatients = 20;

    public async Task<bool> DeniesAsync(IngestionJob job, JsonObject bundle, CancellationToken ct)
    {
        var identifiers = new List<(string? System, string Value)>();
        if (job.PatientIdentifierValue is { } value) identifiers.Add((job.PatientIdentifierSystem, value));
        var patientIds = new HashSet<string>(StringComparer.Ordinal);
        if (bundle["entry"] is JsonArray entries)
        {
            foreach (var node in entries)
            {
                if (node is not JsonObject entry || entry["resource"] is not JsonObject resource) continue;
                if (BundleAugmenter.Text(resource["resourceType"]) == "Patient")
                {
                    if (resource["identifier"] is JsonArray ids)
                        foreach (var id in ids.OfType<JsonObject>())
                            if (BundleAugmenter.Text(id["value"]) is { } v) identifiers.Add((BundleAugmenter.Text(id["system"]), v));
                    if (entry["request"] is JsonObject request && BundleAugmenter.Text(request["url"]) is { } url && url.StartsWith("Patient/", StringComparison.Ordinal))
                        patientIds.Add(url["Patient/".Length..]);
                }
                foreach (var field in (string[])["subject", "patient"])
                    if (resource[field] is JsonObject reference && BundleAugmenter.Text(reference["reference"]) is { } r && r.StartsWith("Patient/", StringComparison.Ordinal) && ResourceIds.IsValid(r.AsSpan(8)))
                        patientIds.Add(r[8..]);
            }
        }
        foreach (var (system, identifier) in identifiers.Take(MaxPatients))
        {
            var token = system is null ? Escape(identifier) : Escape(system) + "|" + Escape(identifier);
            foreach (var patient in await SearchAsync(job.TenantId, "Patient", [new("identifier", token)], ct)) patientIds.Add(patient.Id);
        }
        foreach (var patientId in patientIds.Take(MaxPatients))
        {
            var consents = await SearchAsync(job.TenantId, "Consent", [new("patient", "Patient/" + patientId), new("status", "active")], ct);
            if (consents.Any(c => Denies(c.Body, job))) return true;
        }
        return false;
    }

    async Task<IReadOnlyList<StoredResource>> SearchAsync(string tenantId, string type, KeyValuePair<string, string>[] parameters, CancellationToken ct)
    {
        var query = parser.Parse(type, [.. parameters, new("_count", "100")], strict: true);
        if (query.Error is not null) return [];
        return (await store.SearchAsync(tenantId, query.Value!, ct)).Resources;
    }

    static bool Denies(string consentJson, IngestionJob job)
    {
        using var document = JsonDocument.Parse(consentJson);
        return document.RootElement.TryGetProperty("provision", out var provision) && DeniesIn(provision, job, 0);
    }

    static bool DeniesIn(JsonElement provision, IngestionJob job, int depth)
    {
        if (provision.ValueKind != JsonValueKind.Object || depth > 8) return false;
        if (provision.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("deny")
            && provision.TryGetProperty("actor", out var actors) && actors.ValueKind == JsonValueKind.Array)
        {
            foreach (var actor in actors.EnumerateArray())
                if (actor.ValueKind == JsonValueKind.Object && actor.TryGetProperty("reference", out var reference) && NamesSubmitter(reference, job)) return true;
        }
        if (provision.TryGetProperty("provision", out var nested) && nested.ValueKind == JsonValueKind.Array)
            foreach (var inner in nested.EnumerateArray())
                if (DeniesIn(inner, job, depth + 1)) return true;
        return false;
    }

    static bool NamesSubmitter(JsonElement reference, IngestionJob job)
    {
        if (reference.ValueKind != JsonValueKind.Object) return false;
        if (job.Source is { } source && reference.TryGetProperty("reference", out var literal) && literal.ValueKind == JsonValueKind.String && literal.ValueEquals(source))
            return true;
        return job.SubmitterKind == "client"
            && reference.TryGetProperty("identifier", out var identifier) && identifier.ValueKind == JsonValueKind.Object
            && identifier.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.String && system.ValueEquals(BundleAugmenter.ClientIdentifierSystem)
            && identifier.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(job.Submitter);
    }

    /// <summary>FHIR R4 search.html#escaping: \ , $ | in a value are escaped with a backslash.</summary>
    static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal)
        .Replace("$", "\\$", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
}
