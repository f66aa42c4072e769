using System.Diagnostics.Metrics;

namespace Carevault.Ingestion;

/// <summary>
/// Queue instruments on the "Carevault" meter (exported by /metrics under these names): jobs submitted and finished by
/// format and outcome, processing time, bytes accepted. Tags are low-cardinality (format, outcome), never ids.
/// </summary>
public sealed class IngestionMetrics
{
    readonly Counter<long> _submitted;
    readonly Counter<long> _finished;
    readonly Counter<long> _bytes;
    readonly Histogram<double> _duration;

    public IngestionMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Carevault");
        _submitted = meter.CreateCounter<long>("jobs_submitted_total", description: "Report files accepted as ingestion jobs.");
        _finished = meter.CreateCounter<long>("jobs_completed_total", description: "Ingestion jobs finished, by outcome (completed, failed, dead-letter, quarantined, retried).");
        _bytes = meter.CreateCounter<long>("ingest_bytes_total", "By", "Bytes of report files accepted.");
        _duration = meter.CreateHistogram<double>("jobs_processing_duration_seconds", "s", "Time a worker spent on one attempt of a job.");
    }

    public void Submitted(ReportFormat format, long bytes)
    {
        var tag = new KeyValuePair<string, object?>("format", ReportFormats.Name(format));
        _submitted.Add(1, tag);
        _bytes.Add(bytes, tag);
    }

    public void Finished(string format, string outcome, TimeSpan duration)
    {
        _finished.Add(1, new("format", format), new("outcome", outcome));
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("format", format));
    }
}
