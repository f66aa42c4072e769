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
/// no update-as-create, no conditional interactions; transaction and batch with POST, PUT and DELETE entries.
/// </summary>
internal static class Metadata
{
    public static void Map(IEndpointRouteBuilder group) => group.MapGet("/metadata", Handle).AllowAnonymous().WithName("FhirMetadata").NotAudited("the capability statement: no health data");

    static FhirResult Handle(HttpContext http, FhirSpec spec, SearchIndexer indexer, TimeProvider clock)
    {
        if (FhirRequest.FormatError(http) is { } formatError) return formatError;
        return new FhirResult(StatusCodes.Status200OK, Write(FhirRequest.BaseUrl(http.Request), spec, indexer, clock.GetUtcNow()));
    }

    static readonly string[] Interactions = ["read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type"];

    static readonly string[] SystemInteractions = ["transaction", "batch"];

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
        w.WriteString("description", "OAuth 2.0 bearer tokens (client_credentials); SMART v2 system scopes, e.g. system/Observation.rs. See /.well-known/smart-configuration.");
        w.WriteEndObject();
        w.WriteStartArray("resource");
        foreach (var type in FhirRequest.SupportedTypes(spec)) WriteResource(w, type, indexer);
        w.WriteEndArray();
        w.WriteStartArray("interaction");
        foreach (var interaction in SystemInteractions)
        {
            w.WriteStartObject();
            w.WriteString("code", interaction);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    static void WriteResource(Utf8JsonWriter w, string type, SearchIndexer indexer)
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
        w.WriteBoolean("conditionalCreate", false);
        w.WriteString("conditionalRead", "not-supported");
        w.WriteBoolean("conditionalUpdate", false);
        w.WriteString("conditionalDelete", "not-supported");
        w.WriteStartArray("searchParam");
        WriteParam(w, "_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id");
        WriteParam(w, "_lastUpdated", "date", "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated");
        foreach (var parameter in indexer.IndexedParameters(type))
            WriteParam(w, parameter.Code, parameter.Type.ToString().ToLowerInvariant(), null);
        w.WriteEndArray();
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
