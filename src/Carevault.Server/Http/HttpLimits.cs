using Microsoft.Extensions.Configuration;

namespace Carevault.Server.Http;

/// <summary>Request limits from the <c>Limits</c> section; routes that take files declare their own.</summary>
public sealed record HttpLimits
{
    public long MaxRequestBodyBytes { get; init; } = 16 * 1024 * 1024;

    public static HttpLimits From(IConfiguration configuration)
    {
        var limits = configuration.GetSection("Limits").Get<HttpLimits>() ?? new HttpLimits();
        if (limits.MaxRequestBodyBytes <= 0)
            throw new InvalidOperationException("Limits:MaxRequestBodyBytes must be a positive number of bytes.");
        return limits;
    }
}
