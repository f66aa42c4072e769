using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Carevault.Storage.Database;

namespace Carevault.Server.Observability;

/// <summary>
/// A small Prometheus text-format (0.0.4) exporter over <see cref="MeterListener"/>: no Prometheus client package is
/// in our registry. It listens to the "Carevault" meter and to ASP.NET Core's own request-duration histogram (which
/// hosting measures anyway, tagged with the route template, never the raw path), only on meters of this host's
/// <see cref="IMeterFactory"/> so that several hosts in one process (tests) never mix their numbers. Npgsql's pool
/// instruments live on its process-wide "Npgsql" meter: only the series of this host's data source (by pool name)
/// are kept, without the pool label.
/// Recording is one dictionary lookup and one locked add: a few hundred nanoseconds per request.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    const string AspNetCoreHosting = "Microsoft.AspNetCore.Hosting";
    const string AspNetCoreRequestDuration = "http.server.request.duration";
    const string Npgsql = "Npgsql";
    const string NpgsqlPoolTag = "db.client.connection.pool.name";
    static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    readonly IMeterFactory _scope;
    readonly MeterListener _listener = new();
    readonly ConcurrentDictionary<Instrument, Family> _families = new();
    readonly Lock _scrape = new();

    public PrometheusExporter(IMeterFactory scope, CarevaultMetrics metrics, Db db)
    {
        _ = metrics; // created first, so its instruments are published to this listener
        _scope = scope;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Npgsql && instrument.Meter.Scope is null && db.PoolName is { } pool)
            {
                if (NpgsqlPoolName(instrument.Name) is not { } name || Family.For(instrument, name, pool) is not { } npgsql) return;
                _families[instrument] = npgsql;
                listener.EnableMeasurementEvents(instrument, npgsql);
                return;
            }
            if (!ReferenceEquals(instrument.Meter.Scope, _scope)) return;
            var family = instrument.Meter.Name switch
            {
                CarevaultMetrics.MeterName => Family.For(instrument, instrument.Name),
                AspNetCoreHosting when instrument.Name == AspNetCoreRequestDuration => Family.For(instrument, "http_server_request_duration_seconds"),
                _ => null,
            };
            if (family is null) return;
            _families[instrument] = family;
            listener.EnableMeasurementEvents(instrument, family);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Writes every series in Prometheus text exposition format.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            foreach (var family in _families.Values) if (family.Observable) family.ResetObserved();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)) family.Write(text);
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Npgsql 10's pool instruments (OpenTelemetry database semantic conventions) and their Prometheus names.</summary>
    static string? NpgsqlPoolName(string instrument) => instrument switch
    {
        "db.client.connection.count" => "db_client_connection_count",
        "db.client.connection.max" => "db_client_connection_max",
        "db.client.connection.npgsql.pending_requests" => "db_client_connection_pending_requests",
        "db.client.connection.npgsql.timeouts" => "db_client_connection_timeouts_total",
        _ => null,
    };

    /// <param name="pool">For Npgsql's process-wide instruments: the one pool whose measurements this host keeps.</param>
    sealed class Family(string name, string type, string help, bool observable, bool cumulative, double[]? buckets, string? pool = null)
    {
        readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

        public string Name => name;
        public bool Observable => observable;

        public static Family? For(Instrument instrument, string name, string? pool = null)
        {
            var help = instrument.Description ?? "";
            return instrument switch
            {
                Histogram<double> h => new Family(name, "histogram", help, false, true, h.Advice?.HistogramBucketBoundaries?.ToArray() ?? DefaultBuckets, pool),
                Histogram<long> h => new Family(name, "histogram", help, false, true, h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray() ?? DefaultBuckets, pool),
                Counter<long> or Counter<int> or Counter<double> => new Family(name, "counter", help, false, true, null, pool),
                UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> => new Family(name, "gauge", help, false, true, null, pool),
                ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => new Family(name, "counter", help, true, false, null, pool),
                ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double>
                    or ObservableUpDownCounter<long> or ObservableUpDownCounter<int> or ObservableUpDownCounter<double> => new Family(name, "gauge", help, true, false, null, pool),
                Gauge<long> or Gauge<int> or Gauge<double> => new Family(name, "gauge", help, false, false, null, pool),
                _ => null,
            };
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (pool is not null && !IsPool(tags, pool)) return;
            var labels = Labels(tags);
            var series = _series.GetOrAdd(labels, static (_, b) => new Series(b), buckets);
            series.Add(value, cumulative, buckets);
        }

        public void ResetObserved() => _series.Clear();

        static bool IsPool(ReadOnlySpan<KeyValuePair<string, object?>> tags, string pool)
        {
            foreach (var tag in tags) if (tag.Key == NpgsqlPoolTag) return tag.Value is string name && name == pool;
            return false;
        }

        public void Write(StringBuilder text)
        {
            if (_series.IsEmpty) return;
            if (help.Length > 0) text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal)) series.Write(text, name, labels, buckets);
        }

        /// <summary>Prometheus labels from the tags; ASP.NET Core's names are shortened to route, method and status.</summary>
        static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0) return "";
            var text = new StringBuilder();
            var sawRoute = false;
            foreach (var (key, value) in tags)
            {
                var label = key switch
                {
                    "http.route" => "route",
                    "http.request.method" => "method",
                    "http.response.status_code" => "status",
                    "db.client.connection.state" => "state",
                    "network.protocol.version" or "url.scheme" or "error.type" or "server.address" or "server.port" or "aspnetcore.request.is_unhandled" or NpgsqlPoolTag => null,
                    _ => key.Replace('.', '_'),
                };
                if (label is null) continue;
                sawRoute |= label == "route";
                Append(text, label, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
            }
            if (!sawRoute && tags.Length > 1 && HasKey(tags, "http.request.method")) Append(text, "route", "(unmatched)");
            return text.ToString();
        }

        static bool HasKey(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
        {
            foreach (var tag in tags) if (tag.Key == key) return true;
            return false;
        }

        static void Append(StringBuilder text, string label, string value)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(label).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');
        }
    }

    sealed class Series(double[]? buckets)
    {
        readonly long[]? _counts = buckets is null ? null : new long[buckets.Length + 1];
        readonly Lock _lock = new();
        double _sum;
        long _count;

        public void Add(double value, bool cumulative, double[]? bounds)
        {
            lock (_lock)
            {
                if (_counts is not null && bounds is not null)
                {
                    var i = Array.BinarySearch(bounds, value);
                    _counts[i >= 0 ? i : ~i]++; // le: a value equal to a bound falls in that bound's bucket
                    _sum += value;
                    _count++;
                }
                else if (cumulative) _sum += value;
                else _sum = value;
            }
        }

        public void Write(StringBuilder text, string name, string labels, double[]? bounds)
        {
            lock (_lock)
            {
                if (_counts is null || bounds is null)
                {
                    text.Append(name);
                    if (labels.Length > 0) text.Append('{').Append(labels).Append('}');
                    text.Append(' ').Append(Number(_sum)).Append('\n');
                    return;
                }
                var running = 0L;
                var prefix = labels.Length > 0 ? labels + "," : "";
                for (var i = 0; i < bounds.Length; i++)
                {
                    running += _counts[i];
                    text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(Number(bounds[i])).Append("\"} ").Append(running).Append('\n');
                }
                text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"+Inf\"} ").Append(_count).Append('\n');
                var braces = labels.Length > 0 ? "{" + labels + "}" : "";
                text.Append(name).Append("_sum").Append(braces).Append(' ').Append(Number(_sum)).Append('\n');
                text.Append(name).Append("_count").Append(braces).Append(' ').Append(_count).Append('\n');
            }
        }

        static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }
}
