using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Carevault.Benchmarks;

/// <summary>Bytes one invocation processes, so the table can show MB/s beside the physical limits.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class BytesPerOpAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}

/// <summary>"Throughput" column: operations per second per core, and MB/s where <see cref="BytesPerOpAttribute"/> is set.</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Operations per second on one core (1 s / mean); MB/s (10^6 bytes) where bytes per operation are known";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || stats.Mean <= 0) return "-";
        var perSecond = 1e9 / stats.Mean;
        var bytes = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesPerOpAttribute>()?.Bytes
                    ?? benchmarkCase.Descriptor.Type.GetCustomAttribute<BytesPerOpAttribute>()?.Bytes;
        if (bytes is null && benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Value is TestFile)?.Value is TestFile file)
            return string.Create(CultureInfo.InvariantCulture, $"{perSecond:N0} op/s ({perSecond * file.Bytes.Length / 1e6:N0} MB/s)");
        return bytes is { } b
            ? string.Create(CultureInfo.InvariantCulture, $"{perSecond * b / 1e6:N0} MB/s")
            : string.Create(CultureInfo.InvariantCulture, $"{perSecond:N0} op/s");
    }
}
