using System.Diagnostics;
using System.Diagnostics.Metrics;
using Carevault.Storage.Database;

namespace Carevault.Server.Observability;

/// <summary>
/// The "Carevault" <see cref="Meter"/> that modules register their instruments on (resolve this singleton and call
/// <c>Meter.CreateCounter…</c>). Naming scheme — the instrument name is the Prometheus name, so it is exported as is:
/// <c>&lt;area&gt;_&lt;what&gt;_&lt;unit&gt;</c> in snake case, base units (<c>_seconds</c>, <c>_bytes</c>), counters ending in
/// <c>_total</c>; low-cardinality tags only (a format, a job type, an outcome — never an id, path or patient value).
/// Planned: <c>jobs_queue_depth</c>, <c>jobs_oldest_age_seconds</c>, <c>jobs_completed_total{type,outcome}</c>,
/// <c>ingest_bytes_total{format}</c>, <c>parser_errors_total{format}</c>.
/// </summary>
public sealed class CarevaultMetrics
{
    public const string MeterName = "Carevault";

    public CarevaultMetrics(IMeterFactory meterFactory, Db db)
    {
        Meter = meterFactory.Create(MeterName);
        // Pool use on either engine; PostgreSQL adds Npgsql's own pool series (db_client_connection_*).
        Meter.CreateObservableGauge("db_connections_open", () => db.OpenConnections, "{connection}",
            "Database connections handed out by the server and not yet returned to the pool.");
        Meter.CreateObservableGauge("process_working_set_bytes", static () => Environment.WorkingSet, "By", "Physical memory of the process.");
        Meter.CreateObservableGauge("dotnet_gc_heap_bytes", static () => GC.GetTotalMemory(forceFullCollection: false), "By", "Bytes allocated on the GC heap and not yet collected.");
        Meter.CreateObservableCounter("dotnet_gc_collections_total", static () => new[]
        {
            new Measurement<long>(GC.CollectionCount(0), new KeyValuePair<string, object?>("generation", "gen0")),
            new Measurement<long>(GC.CollectionCount(1), new KeyValuePair<string, object?>("generation", "gen1")),
            new Measurement<long>(GC.CollectionCount(2), new KeyValuePair<string, object?>("generation", "gen2")),
        }, description: "Garbage collections since the process started.");
    }

    public Meter Meter { get; }
}
