using System.Data.Common;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Jobs;
using Carevault.Ingestion.Scanning;
using Carevault.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Carevault.Ingestion.Intake;

/// <summary>What <see cref="ReportIntake.SubmitAsync"/> answered.</summary>
/// <param name="Replayed">True when the idempotency key named an earlier job with the same bytes.</param>
public sealed record IntakeResult(IngestionJob? Job, bool Replayed, IntakeError? Error);

/// <summary>
/// The one way in for report files (HTTP uploads and the MLLP listener): authorizes the caller, streams the content
/// through the scanners into the encrypted blob store while hashing it, then records the job. When it returns a job,
/// the original and the job row are durable; a refused or interrupted upload leaves neither.
/// </summary>
public sealed partial class ReportIntake(JobStore jobs, EncryptedBlobStore blobs, IngestionOptions options, JobSignal signal, IngestionMetrics metrics,
    TimeProvider clock, ILogger<ReportIntake> logger)
{
    /// <param name="contentType">The declared media type; chooses the format the bytes must match.</param>
    /// <param name="content">Read to its end; not disposed.</param>
    /// <param name="idempotencyKey">Same key and same bytes answer the same job; same key and other bytes are refused.</param>
    public async Task<IntakeResult> SubmitAsync(CallerContext caller, string? contentType, Stream content, ReportMetadata metadata, string? idempotencyKey,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(metadata);
        if (AccessPolicy.Reports(caller, caller.TenantId, ReportAction.Submit) != Access.Allowed)
            return Fail(IntakeErrorKind.Forbidden, "forbidden", "The caller may not submit reports (system/DocumentReference.c, or a doctor's or staff account).");
        if (ReportFormats.FromContentType(contentType) is not { } format)
            return Fail(IntakeErrorKind.UnsupportedMediaType, "unsupported-media-type",
                "Send HL7 v2 (application/hl7-v2, x-application/hl7-v2+er7, text/plain), application/dicom, application/pdf or application/fhir+json.");
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200 || idempotencyKey.Any(c => c < 0x21 || c > 0x7E)))
            return new IntakeResult(null, false, new IntakeError(IntakeErrorKind.Validation, "validation-failed", "An Idempotency-Key is 1-200 visible ASCII characters.", "Idempotency-Key"));
        if (metadata.Validate() is { } invalid) return new IntakeResult(null, false, invalid);
        if (metadata.ReportType is { } type && options.RequiredMetadata.TryGetValue(type, out var required))
        {
            foreach (var field in required)
                if (string.IsNullOrWhiteSpace(metadata.Field(field)))
                    return new IntakeResult(null, false, new IntakeError(IntakeErrorKind.Validation, "validation-failed", $"Reports of type '{type}' require {field}.", field));
        }

        var id = Guid.CreateVersion7().ToString("N");
        var blobKey = $"originals/{id}";
        EncryptedBlobWriteResult written;
        ClamAvSession? clamAv = null;
        try
        {
            if (options.ClamAvEndpoint is { } endpoint)
            {
                try
                {
                    clamAv = await new ClamAvClient(endpoint, options.ClamAvTimeout).StartAsync(ct);
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    LogScannerUnavailable(logger, e.GetType().Name);
                    return Fail(IntakeErrorKind.Unavailable, "unavailable", "The virus scanner is not reachable; try again later.");
                }
            }
            var inspecting = new InspectingStream(content, format, options.MaxUploadBytes, clamAv);
            try
            {
                written = await blobs.WriteAsync(blobKey, inspecting, ct);
            }
            catch (ContentRejectedException rejected)
            {
                LogRefused(logger, rejected.Error.Code, ReportFormats.Name(format));
                return new IntakeResult(null, false, rejected.Error);
            }
            if (clamAv is not null)
            {
                var verdict = await clamAv.FinishAsync(ct);
                if (verdict.Kind != ClamAvVerdictKind.Clean)
                {
                    await blobs.DeleteAsync(blobKey, CancellationToken.None);
                    LogRefused(logger, verdict.Kind == ClamAvVerdictKind.Infected ? "malware-detected" : "scanner-error", ReportFormats.Name(format));
                    return verdict.Kind == ClamAvVerdictKind.Infected
                        ? Fail(IntakeErrorKind.Malware, "malware-detected", $"The virus scanner found {verdict.Signature}; the file was refused.")
                        : Fail(IntakeErrorKind.Unavailable, "unavailable", "The virus scanner gave no verdict (the file may exceed its stream limit); nothing was stored.");
                }
            }
        }
        finally
        {
            if (clamAv is not null) await clamAv.DisposeAsync();
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var job = new IngestionJob
        {
            Id = id,
            TenantId = caller.TenantId,
            Submitter = caller.Subject,
            SubmitterKind = caller.Kind,
            SubmitterRole = caller.Role,
            SubmitterScopes = caller.Scopes.ToString(),
            Status = JobStatus.Pending,
            Format = ReportFormats.Name(format),
            ContentType = contentType!.Split(';', 2)[0].Trim().ToLowerInvariant(),
            Sha256 = Convert.ToHexStringLower(written.PlaintextSha256.Span),
            SizeBytes = written.PlaintextLength,
            BlobKey = blobKey,
            MasterKeyId = written.MasterKeyId,
            IdempotencyKey = idempotencyKey,
            PatientIdentifierSystem = metadata.PatientIdentifierSystem,
            PatientIdentifierValue = metadata.PatientIdentifierValue,
            ReportType = metadata.ReportType,
            ReportDate = metadata.ReportDate,
            Source = metadata.Source,
            CreatedAt = now,
            UpdatedAt = now,
            NextAttemptAt = now,
        };
        bool inserted;
        try
        {
            // The content is stored: record the job even if the client has gone meanwhile (it may retry with its key).
            inserted = await jobs.InsertAsync(job, CancellationToken.None);
        }
        catch (DbException)
        {
            await blobs.DeleteAsync(blobKey, CancellationToken.None);
            throw;
        }
        if (!inserted)
        {
            await blobs.DeleteAsync(blobKey, CancellationToken.None);
            var existing = await jobs.GetByIdempotencyKeyAsync(caller.TenantId, idempotencyKey!, CancellationToken.None)
                ?? throw new InvalidOperationException("An ingestion job insert conflicted but no job holds its idempotency key.");
            return existing.Sha256 == job.Sha256
                ? new IntakeResult(existing, true, null)
                : Fail(IntakeErrorKind.Conflict, "idempotency-key-reused", "This Idempotency-Key was used for a different file.");
        }
        metrics.Submitted(format, job.SizeBytes);
        LogAccepted(logger, id, job.Format, job.SizeBytes);
        signal.Notify();
        return new IntakeResult(job, false, null);
    }

    static IntakeResult Fail(IntakeErrorKind kind, string code, string message) => new(null, false, new IntakeError(kind, code, message));

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted report {JobId} ({Format}, {Bytes} bytes)")]
    static partial void LogAccepted(ILogger logger, string jobId, string format, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a report upload ({Format}): {Code}")]
    static partial void LogRefused(ILogger logger, string code, string format);

    [LoggerMessage(Level = LogLevel.Error, Message = "Virus scanner unreachable: {ExceptionType}")]
    static partial void LogScannerUnavailable(ILogger logger, string exceptionType);
}
