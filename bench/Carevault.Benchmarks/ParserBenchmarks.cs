using BenchmarkDotNet.Attributes;
using Carevault.Dicom;
using Carevault.Hl7v2;
using Carevault.Hl7v2.Messages;
using Carevault.Pdf;

namespace Carevault.Benchmarks;

/// <summary>HL7 v2 ORU^R01: parse, and parse + typed read (issue 5 target: parse and map ≥ 20,000 messages/s per core).</summary>
[MemoryDiagnoser]
public class Hl7v2Benchmarks
{
    public static IEnumerable<TestFile> Files =>
    [
        TestFile.Load("hl7v2", "npm_simplehl7_oru_r01_v23_cr.hl7"),
        TestFile.Load("hl7v2", "dex_oru_r01_v251_escapes_nonascii.hl7"),
        TestFile.Load("hl7v2", "ms_oru_r01_v251.hl7"),
    ];

    [ParamsSource(nameof(Files))]
    public TestFile File { get; set; } = null!;

    [Benchmark]
    public Hl7Message Parse() => Hl7v2Parser.Parse(File.Bytes).Value!;

    [Benchmark]
    public OruR01Message ParseAndReadOru() => OruR01Reader.Read(Hl7v2Parser.Parse(File.Bytes).Value!).Value!;
}

/// <summary>DICOM Part 10 metadata from memory (issue 5 target: ≥ 10,000 files/s per core).</summary>
[MemoryDiagnoser]
public class DicomBenchmarks
{
    public static IEnumerable<TestFile> Files =>
    [
        TestFile.Load("dicom", "CT_small.dcm"),
        TestFile.Load("dicom", "MR_small_implicit.dcm"),
        TestFile.Load("dicom", "image_dfl.dcm"),
        TestFile.Load("dicom", "JPEGwithIcon_XC.dcm"),
        TestFile.Load("dicom", "waveform_ecg.dcm"),
    ];

    [ParamsSource(nameof(Files))]
    public TestFile File { get; set; } = null!;

    [Benchmark]
    public DicomMetadata ReadMetadata() => DicomMetadataReader.Read(File.Bytes).Value!;
}

/// <summary>PDF: open (xref, trailer, info, page count, active-content scan) and open + text extraction.</summary>
[MemoryDiagnoser]
public class PdfBenchmarks
{
    public static IEnumerable<TestFile> Files =>
    [
        TestFile.Load("pdf", "lab_cbc_riverbend.pdf"),
        TestFile.Load("pdf", "surgical_pathology_report.pdf"),
    ];

    [ParamsSource(nameof(Files))]
    public TestFile File { get; set; } = null!;

    [Benchmark]
    public int Open() => PdfReader.Open(File.Bytes).Value!.PageCount;

    [Benchmark]
    public int OpenAndExtractText() => PdfReader.Open(File.Bytes).Value!.ExtractText().Value!.FullText.Length;
}
