namespace Carevault.Server.Http;

/// <summary>
/// The stable problem <c>type</c> URIs of the JSON API (RFC 7807). Clients may branch on them; never rename one.
/// Listed with their meaning in docs/problems.md.
/// </summary>
public static class ProblemTypes
{
    public const string Prefix = "urn:carevault:problem:";

    public const string BadRequest = "bad-request";
    public const string MalformedJson = "malformed-json";
    public const string NotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string PayloadTooLarge = "payload-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string Conflict = "conflict";
    public const string ValidationFailed = "validation-failed";
    public const string TooManyRequests = "too-many-requests";
    public const string Unavailable = "unavailable";
    public const string InternalError = "internal-error";

    public static string Uri(string code) => Prefix + code;

    /// <summary>The code and title that stand for an HTTP status when nothing more specific is known.</summary>
    public static (string Code, string Title) ForStatus(int status) => status switch
    {
        400 => (BadRequest, "The request is not valid."),
        401 => (Unauthorized, "Authentication is required."),
        403 => (Forbidden, "The caller may not do this."),
        404 => (NotFound, "No such resource."),
        405 => (MethodNotAllowed, "The method is not allowed on this resource."),
        409 => (Conflict, "The request conflicts with the current state."),
        413 => (PayloadTooLarge, "The request body is too large."),
        415 => (UnsupportedMediaType, "The content type is not supported here."),
        422 => (ValidationFailed, "The request failed validation."),
        429 => (TooManyRequests, "Too many requests."),
        503 => (Unavailable, "The service is unavailable."),
        _ when status >= 500 => (InternalError, "An unexpected error occurred."),
        _ => (BadRequest, "The request is not valid."),
    };
}
