using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Carevault.Server.Http;

/// <summary>
/// Applies the body limit of the matched endpoint (<see cref="IRequestSizeLimitMetadata"/>) or the configured default:
/// refuses a declared Content-Length over it at once, and tells the server to stop reading a chunked body there.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, HttpLimits limits)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { } metadata
            ? metadata.MaxRequestBodySize
            : limits.MaxRequestBodyBytes;
        if (limit is { } max)
        {
            if (context.Request.ContentLength > max)
                throw new BadHttpRequestException($"The request body is larger than {max} bytes.", StatusCodes.Status413PayloadTooLarge);
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                feature.MaxRequestBodySize = max;
        }
        return next(context);
    }
}
