using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Carevault.Records.Http;

/// <summary>Marks the /fhir endpoints, whose errors are OperationOutcomes.</summary>
internal sealed class FhirEndpointMetadata;

/// <summary>
/// Answers authorization failures on /fhir endpoints with an OperationOutcome (401 keeps the Bearer challenge header,
/// RFC 6750 §3); everything else goes to ASP.NET Core's default handler.
/// </summary>
internal sealed class FhirAuthorizationResultHandler(AuthorizationMiddlewareResultHandler fallback) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded || context.GetEndpoint()?.Metadata.GetMetadata<FhirEndpointMetadata>() is null)
        {
            await fallback.HandleAsync(next, context, policy, authorizeResult);
            return;
        }
        if (authorizeResult.Challenged)
        {
            await context.ChallengeAsync();
            await OperationOutcomes.Create(context, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.").ExecuteAsync(context);
            return;
        }
        await OperationOutcomes.Create(context, StatusCodes.Status403Forbidden, "forbidden", "The token does not allow this interaction.").ExecuteAsync(context);
    }
}
