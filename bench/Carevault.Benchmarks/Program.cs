using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Carevault.Benchmarks;

// Short by design (the whole suite in a few minutes on 2 shared cores): 1 launch, 3 warm-up, 5 measured iterations,
// in-process (no generated project to build, so bench never races the test build over src/*/obj). For a precise
// before/after on one benchmark: --filter '*Hl7*' --job medium (adds a separate job with more iterations).
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .AddColumn(new ThroughputColumn())
    .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(48))
    .WithOptions(ConfigOptions.DisableLogFile);
BenchmarkSwitcher.FromAssembly(typeof(ThroughputColumn).Assembly).Run(args, config);
