using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Carevault.Ingestion.Mapping;

namespace Carevault.Benchmarks;

/// <summary>
/// Parse + map to a FHIR transaction Bundle (issue 5 targets: HL7 ORU parse and map ≥ 20,000 messages/s per core,
/// DICOM metadata ≥ 10,000 files/s per core). The Bundle is built as a JsonObject, not serialized: the pipeline
/// hands it to the FHIR store, which serializes once.
/// </summary>
[MemoryDiagnoser]
public class MappingBenchmarks
{
    public static IEnumerable<MappingCase> Cases =>
    [
        new(ReportFormat.Hl7v2, TestFile.Load("hl7v2", "npm_simplehl7_oru_r01_v23_cr.hl7")),
        new(ReportFormat.Hl7v2, TestFile.Load("hl7v2", "dex_oru_r01_v251_escapes_nonascii.hl7")),
        new(ReportFormat.Hl7v2, TestFile.Load("hl7v2", "ms_oru_r01_v251.hl7")),
        new(ReportFormat.Hl7v2, TestFile.Load("hl7v2", "ms_adt_a01_v28.hl7")),
        new(ReportFormat.Dicom, TestFile.Load("dicom", "CT_small.dcm")),
        new(ReportFormat.Dicom, TestFile.Load("dicom", "MR_small_implicit.dcm")),
        new(ReportFormat.Dicom, TestFile.Load("dicom", "image_dfl.dcm")),
        new(ReportFormat.Pdf, TestFile.Load("pdf", "lab_cbc_riverbend.pdf")),
    ];

    [ParamsSource(nameof(Cases))]
    public MappingCase Case { get; set; } = null!;

    [Benchmark]
    public int ParseAndMap() => ReportMapper.Map(Case.Input).TransactionBundle!.Count;
}

/// <summary>One sample with the upload metadata the pipeline would pass.</summary>
public sealed class MappingCase(ReportFormat format, TestFile file)
{
    public MappingInput Input { get; } = new()
    {
        Format = format,
        Content = file.Bytes,
        OriginalSha256 = Convert.ToHexStringLower(SHA256.HashData(file.Bytes)),
        OriginalUrl = "https://carevault.example/api/reports/r/original",
        ContentType = "application/octet-stream",
        PatientIdentifierSystem = "urn:oid:2.16.840.1.113883.19.5",
        PatientIdentifierValue = "BENCH-1",
    };

    public override string ToString() => file.ToString();
}
