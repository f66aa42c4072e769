using System.Numerics;

namespace Carevault.LoadGen;

/// <summary>
/// Fixed-size log-linear histogram of microseconds (exact below 1,024 µs, then 512 sub-buckets per power of two,
/// &lt; 0.2% error): bounded memory whatever the request count, one per worker, merged at the end.
/// </summary>
public sealed class LatencyHistogram
{
    const int Linear = 1024;
    const int SubBuckets = 512;
    const int MaxExponent = 40; // ~12 days in µs: nothing realistic overflows
    readonly long[] _counts = new long[Linear + (MaxExponent - 10 + 1) * SubBuckets];

    public long Count { get; private set; }
    public long MaxMicros { get; private set; }
    public double SumMicros { get; private set; }

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        _counts[Index(micros)]++;
        Count++;
        SumMicros += micros;
        if (micros > MaxMicros) MaxMicros = micros;
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        SumMicros += other.SumMicros;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>Value at percentile <paramref name="p"/> (0–100) in microseconds (upper edge of its bucket).</summary>
    public long Percentile(double p)
    {
        if (Count == 0) return 0;
        var rank = (long)Math.Ceiling(p / 100.0 * Count);
        if (rank < 1) rank = 1;
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(UpperEdge(i), MaxMicros);
        }
        return MaxMicros;
    }

    static int Index(long micros)
    {
        if (micros < Linear) return (int)micros;
        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)micros); // ≥ 10
        if (exponent > MaxExponent) return Linear + (MaxExponent - 10 + 1) * SubBuckets - 1;
        var shift = exponent - 9;
        var mantissa = (int)(micros >> shift) & (SubBuckets - 1);
        return Linear + (exponent - 10) * SubBuckets + mantissa;
    }

    static long UpperEdge(int index)
    {
        if (index < Linear) return index;
        var exponent = 10 + (index - Linear) / SubBuckets;
        var mantissa = (index - Linear) % SubBuckets;
        var shift = exponent - 9;
        return ((long)(SubBuckets + mantissa + 1) << shift) - 1;
    }
}
