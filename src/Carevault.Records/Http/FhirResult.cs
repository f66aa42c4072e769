using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Carevault.Records.Http;

/// <summary>A FHIR JSON response (<c>application/fhir+json</c>), with its status and headers; no body for 204/304 or return=minimal.</summary>
internal sealed class FhirResult(int status, string? body, IReadOnlyDictionary<string, string>? headers = null) : IResult, IStatusCodeHttpResult
{
    public const string ContentType = "application/fhir+json; charset=utf-8";

    public int Status => status;

    int? IStatusCodeHttpResult.StatusCode => status;
    public string? Body => body;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        if (headers is not null)
            foreach (var (name, value) in headers) response.Headers[name] = value;
        if (body is null) return;
        response.ContentType = ContentType;
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, httpContext.RequestAborted);
    }

    /// <summary>Writes JSON with a <see cref="Utf8JsonWriter"/> into a string (Bundles, OperationOutcomes, CapabilityStatement).</summary>
    public static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
