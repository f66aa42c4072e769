using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Intake;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Carevault.Ingestion.Endpoints;

/// <summary>Problem responses of the ingestion API (types <c>urn:carevault:problem:*</c>, listed in docs/problems.md).</summary>
internal static class IngestionResults
{
    public const string Prefix = "urn:carevault:problem:";

    public static ProblemHttpResult Problem(int status, string code, string title, string? detail = null) =>
        TypedResults.Problem(statusCode: status, type: Prefix + code, title: title, detail: detail);

    public static ProblemHttpResult NotFound() => Problem(404, "not-found", "No such resource.");

    public static ProblemHttpResult? Deny(Access access) => access switch
    {
        Access.Allowed => null,
        Access.NotFound => NotFound(),
        _ => Problem(403, "forbidden", "The caller may not do this."),
    };

    public static CallerContext Caller(HttpContext http) => CallerContext.From(http.User)
        ?? throw new InvalidOperationException("An authorized endpoint ran without a caller.");

    public static IResult From(IntakeError error) => error.Kind switch
    {
        IntakeErrorKind.Validation => TypedResults.ValidationProblem(new Dictionary<string, string[]> { [error.Field ?? "request"] = [error.Message] }),
        IntakeErrorKind.Forbidden => Problem(403, "forbidden", "The caller may not do this.", error.Message),
        IntakeErrorKind.Conflict => Problem(409, error.Code, "The Idempotency-Key was used for other content.", error.Message),
        IntakeErrorKind.TooLarge => Problem(413, "payload-too-large", "The request body is too large.", error.Message),
        IntakeErrorKind.UnsupportedMediaType => Problem(415, "unsupported-media-type", "The content type is not supported here.", error.Message),
        IntakeErrorKind.ContentMismatch => Problem(422, error.Code, "The content does not match its declared type.", error.Message),
        IntakeErrorKind.Malware => Problem(422, error.Code, "The file was refused by the malware scan.", error.Message),
        _ => Problem(503, "unavailable", "The service is unavailable.", error.Message),
    };
}

/// <summary>A per-endpoint body limit (read by the server's body-limit middleware).</summary>
internal sealed record BodySizeLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
