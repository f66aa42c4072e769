using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Carevault.Identity.Endpoints;

/// <summary>
/// 400 validation problems naming the field at fault. The server's problem translator gives them the
/// <c>validation-failed</c> type and the correlation id.
/// </summary>
internal static class Invalid
{
    public static ValidationProblem Field(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>From a store's argument check: the parameter is the field; ArgumentException's " (Parameter 'x')" tail is dropped.</summary>
    public static ValidationProblem From(ArgumentException e) => Field(e.ParamName ?? "request", e.Message.Split(" (Parameter", 2)[0]);
}
