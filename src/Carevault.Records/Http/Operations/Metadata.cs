using System.Text.Json;
using Carevault.Fhir.Spec;
using Carevault.Records.Search;
using Carevault.Identity.Auditing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// capabilities: <c>GET [base]/metadata</c> (FHIR R4 http.html#capabilities, capabilitystatement.html), anonymous.
/// It states exactly what this build does: the interactions, the search parameters that are indexed, JSON only,
/// no update-as-create; conditional create, update and (single) delete; transaction and batch with POST, PUT and
/// DELETE entries, conditional ones and conditional references.
/// </summary>
internal static class Metadata
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/metadata", Handle).AllowAnonymous().WithName("FhirMetadata").NotAudited("the capability statement: no health data");

    static FhirResult Handle(HttpContext http, FhirSpec spec, SearchIndexer indexer, TimeProvider clock)
    {
        if (FhirRequest.FormatError(http) is { } formatError) return formatError;
        return new FhirResult(StatusCodes.Status200OK, Write(FhirRequest.BaseUrl(http.Request), spec, indexer, clock.GetUtcNow()));
    }

    static readonly string[] Interactions = ["read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"];

    static readonly string[] SystemInteractions = ["transaction", "batch", "history-system"];

    static string Write(string baseUrl, FhirSpec spec, SearchIndexer indexer, DateTimeOffset now) => FhirResult.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "CapabilityStatement");
        w.WriteString("status", "active");
        w.WriteString("date", now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("kind", "instance");
        w.WriteStartObject("software");
        w.WriteString("name", "Carevault");
        w.WriteEndObject();
        w.WriteStartObject("implementation");
        w.WriteString("description", "Carevault FHIR R4 record store");
        w.WriteString("url", baseUrl);
        w.WriteEndObject();
        w.WriteString("fhirVersion", "4.0.1");
        w.WriteStartArray("format");
        w.WriteStringValue("json");
        w.WriteStringValue("application/fhir+json");
        w.WriteEndArray();
        w.WriteStartArray("patchFormat");
        w.WriteStringValue(Patch.JsonPatchType);
        w.WriteEndArray();
        w.WriteStartArray("rest");
        w.WriteStartObject();
        w.WriteString("mode", "server");
        w.WriteStartObject("security");
        w.WriteStartArray("service");
        w.WriteStartObject();
        w.WriteStartArray("coding");
        w.WriteStartObject();
        w.WriteString("system", "http://terminology.hl7.org/CodeSystem/restful-security-service");
        w.WriteString("code", "SMART-on-FHIR");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("description", "OAuth 2.0 bearer tokens: client_credentials with SMART v2 system/ scopes (e.g. system/Observation.rs), authorization_code with patient/ and user/ scopes; or the portal session. People are further limited by their role: a patient to their compartment, a doctor writes what they authored. See /.well-known/smart-configuration.");
        w.WriteEndObject();
        w.WriteStartArray("resource");
        var types = FhirRequest.SupportedTypes(spec);
        foreach (var type in types) WriteResource(w, type, types, indexer);
        w.WriteEndArray();
        w.WriteStartArray("interaction");
        foreach (var interaction in SystemInteractions)
        {
            w.WriteStartObject();
            w.WriteString("code", interaction);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("operation"); // Bulk Data Access IG v2: $export, its status and files (see ExportKickOff)
        WriteOperation(w, "export", ExportDefinitions.System);
        // POST [base]/$import: the synchronous bulk load (decision 0015); no official definition exists for it.
        w.WriteStartObject();
        w.WriteString("name", "import");
        w.WriteString("definition", "urn:carevault:operation:import");
        w.WriteString("documentation", "Bulk load: application/fhir+ndjson (one resource per line) or a collection/batch Bundle; each resource is validated and created; answers an OperationOutcome with counts and the rejected lines.");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("compartment");
        w.WriteStringValue("http://hl7.org/fhir/CompartmentDefinition/patient"); // GET Patient/[id]/[type]
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    static void WriteResource(Utf8JsonWriter w, string type, IReadOnlyCollection<string> types, SearchIndexer indexer)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteStartArray("interaction");
        foreach (var interaction in Interactions)
        {
            w.WriteStartObject();
            w.WriteString("code", interaction);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("versioning", "versioned-update");
        w.WriteBoolean("readHistory", true);
        w.WriteBoolean("updateCreate", false);
        w.WriteBoolean("conditionalCreate", true);
        w.WriteString("conditionalRead", "not-supported");
        w.WriteBoolean("conditionalUpdate", true);
        w.WriteString("conditionalDelete", "single");
        // _include Type:param for its reference parameters; _revinclude Other:param for those that may point here.
        w.WriteStartArray("searchInclude");
        foreach (var parameter in indexer.IndexedParameters(type).Where(p => p.Type == SearchParamType.Reference)) w.WriteStringValue($"{type}:{parameter.Code}");
        w.WriteEndArray();
        w.WriteStartArray("searchRevInclude");
        foreach (var other in types)
            foreach (var parameter in indexer.IndexedParameters(other).Where(p => p.Type == SearchParamType.Reference && (p.Targets.Contains(type) || p.Targets.Contains("Resource"))))
                w.WriteStringValue($"{other}:{parameter.Code}");
        w.WriteEndArray();
        w.WriteStartArray("operation");
        WriteOperation(w, "validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate");
        if (type is "Patient" or "Group") WriteOperation(w, "export", type == "Patient" ? ExportDefinitions.Patient : ExportDefinitions.Group);
        if (type == "Patient") WriteOperation(w, "everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything");
        w.WriteEndArray();
        w.WriteStartArray("searchParam");
        WriteParam(w, "_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id");
        WriteParam(w, "_lastUpdated", "date", "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated");
        foreach (var parameter in indexer.IndexedParameters(type))
            WriteParam(w, parameter.Code, parameter.Type.ToString().ToLowerInvariant(), null);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static class ExportDefinitions
    {
        public const string System = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export";
        public const string Patient = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export";
        public const string Group = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export";
    }

    static void WriteOperation(Utf8JsonWriter w, string name, string definition)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("definition", definition);
        w.WriteEndObject();
    }

    static void WriteParam(Utf8JsonWriter w, string name, string type, string? definition)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        if (definition is not null) w.WriteString("definition", definition);
        w.WriteString("type", type);
        w.WriteEndObject();
    }
}
