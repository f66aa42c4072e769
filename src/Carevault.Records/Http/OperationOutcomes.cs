using Carevault.Fhir.Validation;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Http;

namespace Carevault.Records.Http;

/// <summary>
/// ErrorToOperationOutcome: the one translator from expected failures to FHIR responses (FHIR R4 http.html and
/// operationoutcome.html). The OperationOutcome id is the request's correlation id; diagnostics never carry patient data.
/// </summary>
internal static class OperationOutcomes
{
    public static int StatusOf(RecordErrorKind kind) => kind switch
    {
        RecordErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        RecordErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        RecordErrorKind.NotFound => StatusCodes.Status404NotFound,
        RecordErrorKind.Gone => StatusCodes.Status410Gone,
        RecordErrorKind.PreconditionFailed => StatusCodes.Status412PreconditionFailed,
        RecordErrorKind.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        RecordErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        RecordErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static FhirResult From(HttpContext http, RecordError error, IReadOnlyDictionary<string, string>? headers = null) =>
        Create(http, StatusOf(error.Kind), error.Code, error.Message, error.Issues, headers);

    public static FhirResult Create(HttpContext http, int status, string code, string diagnostics, IReadOnlyList<ValidationIssue>? issues = null, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, Write(http.TraceIdentifier, status < 400 ? "information" : "error", code, diagnostics, issues), headers);

    public static string Write(string id, string severity, string code, string diagnostics, IReadOnlyList<ValidationIssue>? issues) => FhirResult.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "OperationOutcome");
        w.WriteString("id", id);
        w.WriteStartArray("issue");
        if (issues is { Count: > 0 })
        {
            foreach (var issue in issues)
            {
                w.WriteStartObject();
                w.WriteString("severity", issue.SeverityCode);
                w.WriteString("code", issue.Code);
                w.WriteString("diagnostics", issue.Diagnostics);
                if (issue.Location.Length > 0)
                {
                    w.WriteStartArray("expression");
                    w.WriteStringValue(issue.Location);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
        }
        else
        {
            w.WriteStartObject();
            w.WriteString("severity", severity);
            w.WriteString("code", code);
            w.WriteString("diagnostics", diagnostics);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
