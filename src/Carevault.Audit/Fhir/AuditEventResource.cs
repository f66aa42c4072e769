using System.Globalization;
using System.Text;
using System.Text.Json;
using Carevault.Audit.Trail;

namespace Carevault.Audit.Fhir;

/// <summary>
/// Renders a record as an R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html): type and subtype name the action,
/// <c>action</c> is C/R/U/D/E, <c>outcome</c> 0 (success) or 8 (serious failure), the agent is the actor with the network
/// address, the entities are the touched references and the search query (base64, as the spec's <c>entity.query</c>).
/// </summary>
internal static class AuditEventResource
{
    public const string ActionSystem = "urn:carevault:audit-action";
    const string EventTypeSystem = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";

    public static void Write(Utf8JsonWriter w, ChainedAuditRecord chained)
    {
        var r = chained.Record;
        w.WriteStartObject();
        w.WriteString("resourceType", "AuditEvent");
        w.WriteString("id", chained.Seq.ToString(CultureInfo.InvariantCulture));
        w.WriteStartObject("meta");
        w.WriteString("lastUpdated", Instant(r.RecordedAt));
        w.WriteEndObject();

        w.WriteStartObject("type");
        var rest = IsRest(r.Action);
        w.WriteString("system", rest ? EventTypeSystem : ActionSystem);
        w.WriteString("code", rest ? "rest" : r.Action);
        w.WriteEndObject();
        w.WriteStartArray("subtype");
        w.WriteStartObject();
        w.WriteString("system", ActionSystem);
        w.WriteString("code", r.Action);
        w.WriteEndObject();
        if (RestCode(r.Action) is { } interaction)
        {
            w.WriteStartObject();
            w.WriteString("system", RestfulInteraction);
            w.WriteString("code", interaction);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("action", r.Action switch
        {
            "create" or "upload" => "C",
            "read" or "vread" or "search" or "history" or "download" or "job-read" or "audit-read" => "R",
            "update" => "U",
            "delete" => "D",
            _ => "E",
        });
        w.WriteString("recorded", Instant(r.RecordedAt));
        w.WriteString("outcome", r.Outcome == AuditOutcomes.Success ? "0" : "8");
        w.WriteString("outcomeDesc", r.Detail.Length > 0 ? $"HTTP {r.Status.ToString(CultureInfo.InvariantCulture)}: {r.Detail}" : $"HTTP {r.Status.ToString(CultureInfo.InvariantCulture)}");

        w.WriteStartArray("agent");
        w.WriteStartObject();
        if (r.ActorRole.Length > 0)
        {
            w.WriteStartArray("role");
            w.WriteStartObject();
            w.WriteString("text", r.ActorRole);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteStartObject("who");
        w.WriteStartObject("identifier");
        w.WriteString("system", "urn:carevault:" + r.ActorKind);
        w.WriteString("value", r.ActorId);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteBoolean("requestor", true);
        if (r.SourceIp.Length > 0)
        {
            w.WriteStartObject("network");
            w.WriteString("address", r.SourceIp);
            w.WriteString("type", "2"); // network-type 2: IP address
            w.WriteEndObject();
        }
        if (r.UserAgent.Length > 0)
        {
            w.WriteStartArray("extension");
            w.WriteStartObject();
            w.WriteString("url", "urn:carevault:user-agent");
            w.WriteString("valueString", r.UserAgent);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartObject("source");
        w.WriteString("site", r.TenantId);
        w.WriteStartObject("observer");
        w.WriteString("display", "Carevault");
        w.WriteEndObject();
        w.WriteEndObject();

        if (r.Entities.Count > 0 || r.Query.Length > 0)
        {
            w.WriteStartArray("entity");
            foreach (var entity in r.Entities)
            {
                w.WriteStartObject();
                w.WriteStartObject("what");
                w.WriteString("reference", entity);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            if (r.Query.Length > 0)
            {
                w.WriteStartObject();
                w.WriteString("query", Convert.ToBase64String(Encoding.UTF8.GetBytes(r.Query)));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    static bool IsRest(string action) => RestCode(action) is not null;

    static string? RestCode(string action) => action switch
    {
        "read" => "read",
        "vread" => "vread",
        "search" => "search-type",
        "create" => "create",
        "update" => "update",
        "delete" => "delete",
        "history" => "history-instance",
        "transaction" => "transaction",
        _ => null,
    };

    static string Instant(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
