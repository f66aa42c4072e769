using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Fhir;

namespace Carevault.Ingestion.Processing;

/// <summary>
/// FHIR JSON: a transaction Bundle as it is, a batch Bundle processed as a transaction (all or nothing, so a rerun
/// never finds half of it stored), or a single resource wrapped as one create.
/// </summary>
internal sealed class FhirReportProcessor : IReportProcessor
{
    public ReportFormat Format => ReportFormat.Fhir;

    public bool SubmitterAuthored => true;

    public ProcessingOutput Process(ProcessingInput input)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(FhirJson.SkipUtf8Bom(input.Content).Span, documentOptions: new JsonDocumentOptions { MaxDepth = 66 });
        }
        catch (JsonException)
        {
            return ProcessingOutput.Fail("fhir.invalid-json", "The file is not valid JSON.");
        }
        if (node is not JsonObject resource || resource["resourceType"]?.GetValueKind() != JsonValueKind.String)
            return ProcessingOutput.Fail("fhir.not-a-resource", "The file is not a FHIR resource (a JSON object with a resourceType).");
        var resourceType = resource["resourceType"]!.GetValue<string>();
        if (resourceType != "Bundle")
        {
            var fullUrl = "urn:uuid:" + Guid.NewGuid().ToString("D");
            resource.Remove("id");
            var entry = new JsonObject
            {
                ["fullUrl"] = fullUrl,
                ["resource"] = resource,
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = resourceType },
            };
            return new ProcessingOutput(new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = new JsonArray(entry) }, null);
        }
        var type = resource["type"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : null;
        if (type is not ("transaction" or "batch"))
            return ProcessingOutput.Fail("fhir.bundle-type", "A Bundle report must be of type transaction or batch.");
        resource["type"] = "transaction";
        return new ProcessingOutput(resource, null);
    }
}
