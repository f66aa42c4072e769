using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Carevault.Fhir.Spec;
using Carevault.Records.Search;

namespace Carevault.Benchmarks;

/// <summary>
/// Search-index extraction (every search parameter's FHIRPath over one resource: what each create and each bulk-loaded
/// line pays), beside its floor, parsing the same bytes. The bulk-load profile in docs/performance.md puts this at
/// 45% of the load's CPU.
/// </summary>
[MemoryDiagnoser]
public class SearchIndexBenchmarks
{
    static readonly SearchIndexer Indexer = new(FhirSpec.R4);

    public static IEnumerable<TestFile> Files =>
    [
        TestFile.Load("fhir", "observation-example.json"),
        TestFile.Load("fhir", "patient-example.json"),
    ];

    [ParamsSource(nameof(Files))]
    public TestFile File { get; set; } = null!;

    [Benchmark(Baseline = true)]
    public JsonValueKind JsonParse()
    {
        using var document = JsonDocument.Parse(File.Bytes);
        return document.RootElement.ValueKind;
    }

    [Benchmark]
    public object ExtractIndexRows()
    {
        using var document = JsonDocument.Parse(File.Bytes);
        return Indexer.Extract(document.RootElement);
    }
}
