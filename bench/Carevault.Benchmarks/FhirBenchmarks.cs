using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;

namespace Carevault.Benchmarks;

/// <summary>
/// FHIR R4 validation of one resource or Bundle, beside its floor: System.Text.Json parsing the same bytes
/// (<c>JsonParse</c>) — validation cannot be faster than reading the JSON once.
/// </summary>
[MemoryDiagnoser]
public class FhirBenchmarks
{
    static readonly FhirValidator Validator = new(FhirSpec.R4);

    public static IEnumerable<TestFile> Files =>
    [
        TestFile.Load("fhir", "observation-example.json"),
        TestFile.Load("fhir", "patient-example.json"),
        TestFile.Load("fhir", "diagnosticreport-example-bundle.json"),
        TestFile.Load("fhir", "synthea_Cris921_Rath779_batch.json"),
    ];

    [ParamsSource(nameof(Files))]
    public TestFile File { get; set; } = null!;

    [Benchmark(Baseline = true)]
    public int JsonParse()
    {
        using var document = JsonDocument.Parse(File.Bytes);
        return document.RootElement.GetArrayLength_Or0();
    }

    [Benchmark]
    public bool Validate() => Validator.Validate(File.Bytes).IsValid;
}

static class JsonElementExtensions
{
    public static int GetArrayLength_Or0(this JsonElement element) => element.ValueKind == JsonValueKind.Array ? element.GetArrayLength() : 1;
}
