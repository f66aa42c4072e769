using System.Text.Json;
using Carevault.Records.Http;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Carevault.Server.Http;

/// <summary>
/// The one translator from failures to RFC 7807 problem details on the JSON API. Every problem carries a stable
/// <c>type</c>, a title, the status and the correlation id; never a stack trace, an exception message or request data.
/// </summary>
public static partial class ErrorHandling
{
    public static IServiceCollection AddCarevaultProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            // A problem that lists field errors is a validation failure, whatever produced it.
            var (code, title) = problem is HttpValidationProblemDetails && status == 400
                ? (ProblemTypes.ValidationFailed, "The request failed validation.")
                : ProblemTypes.ForStatus(status);
            if (problem.Type is null || !problem.Type.StartsWith(ProblemTypes.Prefix, StringComparison.Ordinal))
            {
                problem.Type = ProblemTypes.Uri(code);
                problem.Title = title;
            }
            problem.Status = status;
            problem.Extensions.Remove("exception");
            problem.Extensions["correlationId"] = context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }

    /// <summary>Turns a failure into a problem response.</summary>
    sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
        {
            var problem = exception switch
            {
                BadHttpRequestException { InnerException: JsonException json } => MalformedJson(json),
                BadHttpRequestException bad => FromBadRequest(bad),
                OperationCanceledException when context.RequestAborted.IsCancellationRequested => null,
                _ => null,
            };
            if (problem is null)
            {
                if (context.RequestAborted.IsCancellationRequested) return true;
                LogUnhandled(logger, exception.GetType().FullName ?? "Exception", exception);
                problem = new ProblemDetails { Status = 500, Type = ProblemTypes.Uri(ProblemTypes.InternalError), Title = "An unexpected error occurred." };
            }
            context.Response.StatusCode = problem.Status!.Value;
            if (FhirErrorSurface.Handles(context))
            {
                await FhirErrorSurface.WriteAsync(context, problem.Status.Value, IssueCode(problem.Status.Value), problem.Detail ?? problem.Title ?? "");
                return true;
            }
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
        }

        /// <summary>FHIR issue-type code (valueset-issue-type) for a status the server itself produced.</summary>
        static string IssueCode(int status) => status switch
        {
            413 => "too-costly",
            415 or 400 => "structure",
            >= 500 => "exception",
            _ => "processing",
        };

        static ProblemDetails MalformedJson(JsonException json) => new()
        {
            Status = 400,
            Type = ProblemTypes.Uri(ProblemTypes.MalformedJson),
            Title = "The request body is not valid JSON.",
            // Position only: JsonException's own message quotes the offending bytes, which may be patient data.
            Detail = json.LineNumber is { } line
                ? $"JSON is malformed at {json.Path ?? "$"} (line {line + 1}, byte {json.BytePositionInLine + 1})."
                : "JSON is malformed or does not match the expected shape.",
        };

        static ProblemDetails FromBadRequest(BadHttpRequestException bad)
        {
            var (code, title) = ProblemTypes.ForStatus(bad.StatusCode);
            var detail = bad.StatusCode switch
            {
                413 => "Send a smaller body; the limit for this route is in the API description.",
                415 => "This route takes Content-Type: application/json.",
                _ => null,
            };
            return new ProblemDetails { Status = bad.StatusCode, Type = ProblemTypes.Uri(code), Title = title, Detail = detail };
        }

        [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType}")]
        static partial void LogUnhandled(ILogger logger, string exceptionType, Exception exception);
    }
}
