using System.Text.Json;
using Carevault.Fhir;
using Carevault.Fhir.Validation;

namespace Carevault.Records.Store;

/// <summary>
/// Parses and validates a submitted resource. FHIR R4 http.html: 400 when the content cannot be parsed or breaks
/// basic structure (unknown elements, wrong JSON shapes), 422 when it parses but violates the definitions.
/// </summary>
internal sealed class ResourceValidation(FhirValidator validator)
{
    public RecordResult<JsonDocument> Parse(string resourceType, ReadOnlyMemory<byte> body) => Parse(body, resourceType);

    /// <summary>
    /// As <see cref="Parse(string, ReadOnlyMemory{byte})"/> when the type is not known beforehand (a bulk-load line):
    /// <paramref name="isAllowedType"/> decides on the body's resourceType before the validator runs.
    /// </summary>
    public RecordResult<JsonDocument> ParseAnyType(ReadOnlyMemory<byte> body, Func<string, RecordError?> isAllowedType) => Parse(body, null, isAllowedType);

    RecordResult<JsonDocument> Parse(ReadOnlyMemory<byte> body, string? resourceType, Func<string, RecordError?>? isAllowedType = null)
    {
        // RFC 8259 §8.1: a parser may ignore a byte order mark.
        body = FhirJson.SkipUtf8Bom(body);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 65 });
        }
        catch (JsonException)
        {
            // The validator names the position (and never echoes content).
            return Failure(validator.Validate(body).Issues, RecordErrorKind.BadRequest);
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var type) || type.ValueKind != JsonValueKind.String)
        {
            document.Dispose();
            return new RecordError(RecordErrorKind.BadRequest, "structure", "The body is not a FHIR resource: resourceType is missing.");
        }
        if (resourceType is not null && !type.ValueEquals(resourceType))
        {
            document.Dispose();
            return new RecordError(RecordErrorKind.BadRequest, "invalid", $"The body's resourceType does not match the URL ({resourceType}).");
        }
        if (isAllowedType?.Invoke(type.GetString()!) is { } typeError)
        {
            document.Dispose();
            return typeError;
        }

        var result = validator.Validate(root);
        if (result.IsValid) return document;
        document.Dispose();
        var badRequest = result.Issues.Any(i => i.Severity == IssueSeverity.Fatal || (i.Severity == IssueSeverity.Error && i.Type == IssueType.Structure));
        return Failure(result.Issues, badRequest ? RecordErrorKind.BadRequest : RecordErrorKind.Unprocessable);
    }

    static RecordError Failure(IReadOnlyList<ValidationIssue> issues, RecordErrorKind kind) =>
        new(kind, kind == RecordErrorKind.BadRequest ? "structure" : "invalid", "The resource is not valid FHIR R4.", issues);
}
