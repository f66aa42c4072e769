using System.Data.Common;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Processing;
using Carevault.Pdf;
using Carevault.Records.Bundles;
using Carevault.Records.Store;
using Carevault.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Carevault.Ingestion.Jobs;

/// <summary>
/// One attempt at one claimed job: load and verify the original, scan PDFs for active content, turn the file into a
/// transaction Bundle, check consent, add Provenance and the original's DocumentReference, and commit the Bundle with
/// the job's completion in the same database transaction. Expected failures end the job (failed, quarantined);
/// anything else is transient: the job goes back to pending with a growing delay, then to the dead letters.
/// </summary>
public sealed partial class JobPipeline
{
    readonly JobStore _jobs;
    readonly EncryptedBlobStore _blobs;
    readonly BundleProcessor _bundles;
    readonly ConsentCheck _consent;
    readonly Dictionary<ReportFormat, IReportProcessor> _processors;
    readonly IngestionOptions _options;
    readonly ByteBudget _memory;
    readonly IngestionMetrics _metrics;
    readonly TimeProvider _clock;
    readonly ILogger<JobPipeline> _logger;

    internal JobPipeline(JobStore jobs, EncryptedBlobStore blobs, BundleProcessor bundles, ConsentCheck consent, IEnumerable<IReportProcessor> processors,
        IngestionOptions options, IngestionMetrics metrics, TimeProvider clock, ILogger<JobPipeline> logger)
    {
        _jobs = jobs;
        _blobs = blobs;
        _bundles = bundles;
        _consent = consent;
        _processors = processors.ToDictionary(p => p.Format);
        _options = options;
        _memory = new ByteBudget(options.MaxProcessingBytes);
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The pipeline writes as the platform, after it has checked the submitter's own rights.</summary>
    static readonly ScopeSet PipelineScopes = ScopeSet.TryParse("system/*.cruds", out var scopes) ? scopes : ScopeSet.Empty;

    /// <summary>Claims and runs one due job; false when none was due.</summary>
    public async Task<bool> RunNextAsync(string owner, CancellationToken ct)
    {
        var job = await _jobs.ClaimAsync(owner, _clock.GetUtcNow().ToUnixTimeMilliseconds(), _options.Lease, ct);
        if (job is null) return false;
        await RunAsync(job, owner, ct);
        return true;
    }

    /// <summary>Runs one attempt of a job claimed by <paramref name="owner"/>; returns the outcome.</summary>
    public async Task<string> RunAsync(IngestionJob job, string owner, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        string outcome;
        if (job.Attempts > _options.MaxAttempts)
        {
            // Earlier attempts ended without a word (the process died each time): stop taking it.
            outcome = await FinishAsync(job, owner, JobStatus.DeadLetter, "attempts-exhausted", $"The job was attempted {job.Attempts - 1} times without finishing.", false);
        }
        else
        {
            using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var heartbeat = HeartbeatAsync(job.Id, owner, heartbeatStop.Token);
            try
            {
                outcome = await ProcessAsync(job, owner, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                outcome = await RetryLaterAsync(job, owner, "error_" + e.GetType().Name);
            }
            catch (OperationCanceledException)
            {
                // The host is stopping: hand the job back at once rather than waiting for the lease.
                await _jobs.RescheduleAsync(job.Id, owner, "interrupted", _clock.GetUtcNow().ToUnixTimeMilliseconds(), _clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
                throw;
            }
            finally
            {
                await heartbeatStop.CancelAsync();
                await heartbeat;
            }
        }
        _metrics.Finished(job.Format, outcome, Stopwatch.GetElapsedTime(started));
        return outcome;
    }

    /// <summary>
    /// Renews the lease every third of its length while the attempt runs, so no other worker or server takes over a job
    /// whose worker is alive however long it takes; a worker that dies stops renewing and its lease runs out. A failed
    /// renewal (database away) is retried at the next beat; a lost lease ends the beat (the commit then discards the work).
    /// </summary>
    async Task HeartbeatAsync(string jobId, string owner, CancellationToken ct)
    {
        var interval = _options.Lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, _clock, ct);
                try
                {
                    if (!await _jobs.RenewLeaseAsync(jobId, owner, _clock.GetUtcNow().ToUnixTimeMilliseconds(), _options.Lease, ct)) return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogHeartbeatFailed(_logger, jobId, e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion job {JobId}: lease renewal failed ({ExceptionType}); retrying at the next beat")]
    static partial void LogHeartbeatFailed(ILogger logger, string jobId, string exceptionType);

    async Task<string> ProcessAsync(IngestionJob job, string owner, CancellationToken ct)
    {
        if (job.SizeBytes > _options.MaxProcessingBytes)
            return await FinishAsync(job, owner, JobStatus.Failed, "too-large-to-process", $"The file is larger than the {_options.MaxProcessingBytes} bytes a worker processes; the original is kept.", false);
        // The worker loops together hold at most MaxProcessingBytes of files: a burst of large files waits its turn.
        using var reserved = await _memory.ReserveAsync(job.SizeBytes, ct);
        var content = await LoadAsync(job, ct);
        if (content is null)
            return await FinishAsync(job, owner, JobStatus.DeadLetter, "original-missing", "The stored original is missing.", false);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(content)), job.Sha256, StringComparison.Ordinal))
            return await FinishAsync(job, owner, JobStatus.DeadLetter, "original-integrity", "The stored original does not match its SHA-256.", false);

        var format = ReportFormats.Parse(job.Format);
        if (format == ReportFormat.Pdf && _options.PdfActiveContent != PdfActiveContentPolicy.Allow)
        {
            var pdf = PdfReader.Open(content);
            if (pdf.IsSuccess && pdf.Value.HasActiveContent)
            {
                var kinds = string.Join(", ", pdf.Value.ActiveContent.Select(f => f.Kind.ToString()).Distinct());
                return _options.PdfActiveContent == PdfActiveContentPolicy.Quarantine
                    ? await FinishAsync(job, owner, JobStatus.Quarantined, "pdf-active-content", $"The PDF carries active content ({kinds}); it is quarantined for an administrator.", true)
                    : await FinishAsync(job, owner, JobStatus.Failed, "pdf-active-content", $"The PDF carries active content ({kinds}) and is refused.", false);
            }
        }

        if (!_processors.TryGetValue(format, out var processor))
            return await FinishAsync(job, owner, JobStatus.Failed, "format-unsupported", "No processor handles this format.", false);
        var originalUrl = OriginalUrl(job.Id);
        var output = processor.Process(new ProcessingInput { Job = job, Content = content, OriginalUrl = originalUrl });
        if (output.Error is { } error) return await FinishAsync(job, owner, JobStatus.Failed, error.Code, error.Message, false);
        var bundle = output.TransactionBundle!;
        if (bundle["type"] is JsonValue t && t.TryGetValue<string>(out var bundleType) && bundleType != "transaction")
            return await FinishAsync(job, owner, JobStatus.Failed, "mapping-not-transaction", "The mapped Bundle is not a transaction.", false);

        if (processor.SubmitterAuthored && Unauthorized(job, bundle) is { } denied)
            return await FinishAsync(job, owner, JobStatus.Failed, "forbidden", denied, false);
        if (await _consent.DeniesAsync(job, bundle, ct))
            return await FinishAsync(job, owner, JobStatus.Failed, "consent-denied",
                "An active Consent of the patient denies the submitting organization; nothing was stored and the original is quarantined.", true);

        BundleAugmenter.Augment(bundle, job, originalUrl, addDocumentReference: !processor.SubmitterAuthored, _clock.GetUtcNow());
        var body = JsonSerializer.SerializeToUtf8Bytes(bundle);
        var caller = new CallerContext(job.TenantId, job.Submitter, "client", PipelineScopes);
        var leaseLost = false;
        BeforeCommit complete = async (connection, transaction, written, innerCt) =>
        {
            var references = written.Where(r => !r.Deleted).Select(r => $"{r.ResourceType}/{r.Id}").ToList();
            if (await JobStore.CompleteAsync(connection, transaction, job.Id, owner, references, PatientOf(written), _clock.GetUtcNow().ToUnixTimeMilliseconds(), innerCt))
                return null;
            leaseLost = true;
            return new RecordError(RecordErrorKind.PreconditionFailed, "conflict", "The job's lease passed to another worker.");
        };
        var result = await _bundles.ProcessAsync(caller, body, "urn:carevault:ingestion", ct, complete);
        if (leaseLost)
        {
            LogLeaseLost(_logger, job.Id);
            return "lease-lost";
        }
        if (result.Error is { } recordError)
            return await FinishAsync(job, owner, JobStatus.Failed, "fhir." + recordError.Code, recordError.Message, false);
        LogCompleted(_logger, job.Id, job.Attempts);
        return JobStatus.Completed;
    }

    /// <summary>The submitter's own rights over every entry of a FHIR upload (AccessPolicy), or why not.</summary>
    static string? Unauthorized(IngestionJob job, JsonObject bundle)
    {
        if (!ScopeSet.TryParse(job.SubmitterScopes, out var scopes)) scopes = ScopeSet.Empty;
        var submitter = new CallerContext(job.TenantId, job.Submitter, job.SubmitterKind, scopes, job.SubmitterRole);
        if (bundle["entry"] is not JsonArray entries) return null;
        var index = 0;
        foreach (var node in entries)
        {
            var request = (node as JsonObject)?["request"] as JsonObject;
            var method = BundleAugmenter.Text(request?["method"]);
            var type = BundleAugmenter.Text(request?["url"])?.Split('/', '?')[0] ?? "";
            ClinicalAction? action = method switch { "POST" => ClinicalAction.Create, "PUT" => ClinicalAction.Update, "DELETE" => ClinicalAction.Delete, _ => null };
            if (action is { } a && AccessPolicy.Clinical(submitter, job.TenantId, type, a, Ownership.None) != Access.Allowed)
                return $"Bundle.entry[{index}]: the submitter may not {method} {type}.";
            index++;
        }
        return null;
    }

    static string? PatientOf(IReadOnlyList<StoredResource> written)
    {
        foreach (var resource in written)
            if (resource.ResourceType == "Patient" && !resource.Deleted) return $"Patient/{resource.Id}";
        foreach (var resource in written)
        {
            if (resource.Deleted) continue;
            using var document = JsonDocument.Parse(resource.Body);
            foreach (var field in (string[])["subject", "patient"])
                if (document.RootElement.TryGetProperty(field, out var reference) && reference.ValueKind == JsonValueKind.Object
                    && reference.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { } text && text.StartsWith("Patient/", StringComparison.Ordinal))
                    return text;
        }
        return null;
    }

    async Task<byte[]?> LoadAsync(IngestionJob job, CancellationToken ct)
    {
        await using var stream = await _blobs.OpenReadAsync(job.BlobKey, ct);
        if (stream is null) return null;
        var content = new byte[stream.Length];
        await stream.ReadExactlyAsync(content, ct);
        return content;
    }

    internal string OriginalUrl(string jobId) => $"{_options.PublicUrl}/api/reports/{jobId}/original";

    async Task<string> FinishAsync(IngestionJob job, string owner, string status, string code, string detail, bool quarantine)
    {
        if (!await _jobs.FinishAsync(job.Id, owner, status, code, detail, quarantine, _clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None))
        {
            LogLeaseLost(_logger, job.Id);
            return "lease-lost";
        }
        LogFinished(_logger, job.Id, status, code);
        return status;
    }

    async Task<string> RetryLaterAsync(IngestionJob job, string owner, string code)
    {
        if (job.Attempts >= _options.MaxAttempts)
            return await FinishAsync(job, owner, JobStatus.DeadLetter, code, $"The job failed {job.Attempts} times; an administrator can retry it.", false);
        var now = _clock.GetUtcNow();
        var next = now + _options.RetryDelayAfter(job.Attempts);
        try
        {
            await _jobs.RescheduleAsync(job.Id, owner, code, next.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), CancellationToken.None);
        }
        catch (DbException)
        {
            // The database is away: the lease runs out and the job is claimed again then.
        }
        LogRetry(_logger, job.Id, job.Attempts, code, next);
        return "retried";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion job {JobId} completed on attempt {Attempt}")]
    static partial void LogCompleted(ILogger logger, string jobId, long attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion job {JobId} ended {Status}: {Code}")]
    static partial void LogFinished(ILogger logger, string jobId, string status, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion job {JobId} attempt {Attempt} failed: {Code}; next attempt at {NextAttempt}")]
    static partial void LogRetry(ILogger logger, string jobId, long attempt, string code, DateTimeOffset nextAttempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion job {JobId}: lease lost to another worker; this attempt's work was discarded")]
    static partial void LogLeaseLost(ILogger logger, string jobId);
}
