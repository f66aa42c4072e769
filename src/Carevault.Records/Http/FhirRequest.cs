using System.Globalization;
using Carevault.Fhir.Spec;
using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Records.Http;

/// <summary>What an operation needs from the request once the common checks passed; <paramref name="Permit"/> carries the per-target checks.</summary>
internal sealed record FhirCall(CallerContext Caller, string ResourceType, string BaseUrl, FhirPermit Permit);

/// <summary>
/// The checks every /fhir interaction makes, in order: response format (406), resource type (404), caller (401), and
/// SMART scopes with the access policy by type (403/404, <see cref="FhirAccess"/>); plus readers of the FHIR headers (Prefer, If-Match) and the base URL for links.
/// </summary>
internal static class FhirRequest
{
    static readonly HashSet<string> JsonFormats = new(StringComparer.OrdinalIgnoreCase) { "json", "application/json", "application/fhir+json" };

    // AuditEvent is rendered from the audit trail by the Audit module (decision 0012): never stored or written here.
    public static bool IsSupportedType(FhirSpec spec, string type) => spec.FindType(type) is { Kind: FhirTypeKind.Resource, IsAbstract: false } t && t.Name == type && type != "AuditEvent";

    public static IReadOnlyCollection<string> SupportedTypes(FhirSpec spec) =>
        spec.Types.Where(t => t is { Kind: FhirTypeKind.Resource, IsAbstract: false }).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/fhir";

    /// <summary>The common checks; a result when one fails.</summary>
    public static FhirResult? Check(HttpContext http, FhirSpec spec, string type, ScopePermissions permission, out FhirCall call)
    {
        call = null!;
        if (FormatError(http) is { } formatError) return formatError;
        if (!IsSupportedType(spec, type))
            return OperationOutcomes.Create(http, StatusCodes.Status404NotFound, "not-supported", "This server does not store that resource type.");
        var caller = CallerContext.From(http.User);
        if (caller is null)
            return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        var decided = http.RequestServices.GetRequiredService<FhirAccess>().Decide(caller, type, ClinicalActions.FromPermission(permission));
        if (decided.Error is { } denied) return OperationOutcomes.From(http, denied);
        // Fail closed: an operation that does not check each target cannot serve a caller whose access depends on it.
        if (decided.Value!.PerTarget && http.GetEndpoint()?.Metadata.GetMetadata<ChecksEachTarget>() is null)
            return OperationOutcomes.Create(http, StatusCodes.Status403Forbidden, "forbidden", "This interaction is not available to this caller.");
        call = new FhirCall(caller, type, BaseUrl(http.Request), decided.Value!);
        return null;
    }

    /// <summary>JSON only: <c>_format</c> and Accept must allow it (FHIR R4 http.html#mime-type); else 406.</summary>
    public static FhirResult? FormatError(HttpContext http)
    {
        var format = http.Request.Query["_format"].ToString();
        if (format.Length > 0 && !JsonFormats.Contains(format.Split(';')[0].Trim()))
            return OperationOutcomes.Create(http, StatusCodes.Status406NotAcceptable, "not-supported", "Only JSON is supported (_format=json or application/fhir+json).");
        var accept = http.Request.Headers.Accept.ToString();
        if (format.Length == 0 && accept.Length > 0)
        {
            var acceptable = false;
            foreach (var item in accept.Split(','))
            {
                var media = item.Split(';')[0].Trim();
                if (media is "*/*" or "application/*" || JsonFormats.Contains(media)) acceptable = true;
            }
            if (!acceptable)
                return OperationOutcomes.Create(http, StatusCodes.Status406NotAcceptable, "not-supported", "Only application/fhir+json is supported.");
        }
        return null;
    }

    /// <summary>The body of a create or update, when its Content-Type is JSON (else 415).</summary>
    public static async Task<(ReadOnlyMemory<byte> Body, FhirResult? Error)> ReadBodyAsync(HttpContext http)
    {
        var contentType = http.Request.ContentType;
        if (contentType is not null && !JsonFormats.Contains(contentType.Split(';')[0].Trim()))
            return (default, OperationOutcomes.Create(http, StatusCodes.Status415UnsupportedMediaType, "not-supported", "Send resources as application/fhir+json."));
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null);
    }

    /// <summary>If-Match: <c>W/"3"</c> (or <c>"3"</c>); null when absent; false when malformed.</summary>
    public static bool TryReadIfMatch(HttpRequest request, out long? version)
    {
        version = null;
        var value = request.Headers.IfMatch.ToString().Trim();
        if (value.Length == 0) return true;
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        if (value.Length < 3 || value[0] != '"' || value[^1] != '"') return false;
        if (!long.TryParse(value.AsSpan(1, value.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) return false;
        version = parsed;
        return true;
    }

    /// <summary>The value of one Prefer token (RFC 7240), e.g. <c>return</c> or <c>handling</c>.</summary>
    public static string? Prefer(HttpRequest request, string name)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var part in (header ?? "").Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && part.AsSpan(0, eq).Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) return part[(eq + 1)..].Trim().Trim('"');
            }
        }
        return null;
    }

    public static Dictionary<string, string> VersionHeaders(StoredResource resource, string baseUrl, bool location)
    {
        var headers = new Dictionary<string, string>
        {
            ["ETag"] = resource.ETag,
            ["Last-Modified"] = resource.LastUpdatedTime.ToString("R", CultureInfo.InvariantCulture),
        };
        if (location)
            headers["Location"] = $"{baseUrl}/{resource.ResourceType}/{resource.Id}/_history/{resource.VersionId.ToString(CultureInfo.InvariantCulture)}";
        return headers;
    }

    /// <summary>The answer to a write under <c>Prefer: return</c> (FHIR R4 http.html#ops): representation by default.</summary>
    public static FhirResult WriteResult(HttpContext http, int status, StoredResource resource, string baseUrl, bool location)
    {
        var headers = VersionHeaders(resource, baseUrl, location);
        return Prefer(http.Request, "return") switch
        {
            "minimal" => new FhirResult(status, null, headers),
            "OperationOutcome" => new FhirResult(status, OperationOutcomes.Write(http.TraceIdentifier, "information", "informational",
                $"{resource.ResourceType}/{resource.Id} version {resource.VersionId.ToString(CultureInfo.InvariantCulture)} stored.", null), headers),
            _ => new FhirResult(status, resource.Body, headers),
        };
    }
}
