using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Carevault.Ingestion.Mapping.Tests;

/// <summary>
/// Parser + mapper fuzzing: seeded mutations of the samples (bit flips, truncations, inserted delimiters and
/// structure bytes, chunk duplication and deletion) — 100,000 for HL7 v2 and DICOM; 20,000 for PDF, whose real
/// samples cost ~1 ms each to open and extract (the PDF parser itself gets its 100,000 in PdfReaderFuzzTests, and
/// the PDF mapper adds no parsing). Every input must give a Bundle or a MappingError — no exception, no input
/// slower than 2 s — and every 64th Bundle must pass the FHIR validator. Deterministic: a failure names the seed
/// and the input number.
/// </summary>
public sealed class ReportMapperFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261122;
    private const int Inputs = 100_000;
    private const int PdfInputs = 20_000;

    [Fact]
    public Task Map_100000MutatedHl7Inputs_NeverThrowOrHang() =>
        Fuzz(ReportFormat.Hl7v2, "hl7v2", "*.hl7", "|^~\\&\r\nMSHPIDOBXOBRTXAPV1FHSBHS0123456789.-+<>"u8.ToArray());

    [Fact]
    public Task Map_100000MutatedDicomInputs_NeverThrowOrHang() =>
        Fuzz(ReportFormat.Dicom, "dicom", "*.dcm", [0x00, 0xFF, 0xFE, 0xE0, 0x08, 0x10, 0x20, 0x0D, 0x0E, (byte)'U', (byte)'I', (byte)'S', (byte)'Q', (byte)'.', (byte)'1', (byte)'\\', (byte)'^']);

    [Fact]
    public Task Map_20000MutatedPdfInputs_NeverThrowOrHang() =>
        Fuzz(ReportFormat.Pdf, "pdf", "*.pdf", "<>[]()/\\ \n\r0123456789RobjendstreamxrefTjTJBTET"u8.ToArray(), PdfInputs);

    private async Task Fuzz(ReportFormat format, string folder, string pattern, byte[] interesting, int inputs = Inputs)
    {
        byte[][] corpus = [.. TestData.Files(folder, pattern).Select(f => TestData.Read(folder, f)).Where(b => b.Length > 0)];
        Task<FuzzReport> run = Task.Run(() => Run(format, corpus, interesting, inputs));
        Task finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(300)));
        Assert.True(finished == run, "fuzzing did not finish in 300 s: a loop does not terminate");
        FuzzReport report = await run;
        output.WriteLine($"{format}: {report.Inputs} inputs (seed {Seed}) in {report.Elapsed.TotalSeconds:F1} s: {report.Mapped} mapped ({report.Validated} validated), {report.Rejected} rejected; slowest {report.SlowestMilliseconds} ms");
        Assert.True(report.Failure is null, report.Failure);
        Assert.Equal(inputs, report.Inputs);
        Assert.True(report.Mapped > inputs / 50, $"only {report.Mapped} inputs mapped: mutations too destructive to reach the mappers");
        Assert.True(report.Rejected > inputs / 50, $"only {report.Rejected} inputs rejected: are mutations applied?");
        Assert.True(report.SlowestMilliseconds < 2000, $"one input took {report.SlowestMilliseconds} ms");
    }

    private static FuzzReport Run(ReportFormat format, byte[][] corpus, byte[] interesting, int inputs)
    {
        var random = new Random(Seed);
        var report = new FuzzReport();
        var total = Stopwatch.StartNew();
        var watch = new Stopwatch();
        for (int i = 0; i < inputs; i++)
        {
            byte[] input = Mutate(corpus[random.Next(corpus.Length)], random, interesting);
            watch.Restart();
            try
            {
                MappingResult result = ReportMapper.Map(new MappingInput
                {
                    Format = format,
                    Content = input,
                    OriginalSha256 = "fuzz-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    OriginalUrl = "https://carevault.example/original",
                    ContentType = "application/octet-stream",
                    PatientIdentifierSystem = i % 3 == 0 ? null : TestData.UploadSystem,
                    PatientIdentifierValue = i % 3 == 0 ? null : TestData.UploadValue,
                });
                if (result.TransactionBundle is JsonObject bundle)
                {
                    report.Mapped++;
                    if (result.Error is not null)
                    {
                        report.Failure ??= $"input {i} (seed {Seed}): both a bundle and an error";
                    }

                    if (report.Mapped % 64 == 0)
                    {
                        TestData.AssertValidTransaction(bundle);
                        report.Validated++;
                    }
                }
                else if (result.Error is { Code.Length: > 0, Message.Length: > 0 })
                {
                    report.Rejected++;
                }
                else
                {
                    report.Failure ??= $"input {i} (seed {Seed}): neither a bundle nor a complete error";
                }
            }
#pragma warning disable CA1031 // the point of the test: any exception is a failure, reported with its seed
            catch (Exception e)
#pragma warning restore CA1031
            {
                report.Failure ??= $"input {i} (seed {Seed}, {input.Length} bytes): {e}";
            }

            report.SlowestMilliseconds = Math.Max(report.SlowestMilliseconds, watch.ElapsedMilliseconds);
            report.Inputs++;
        }

        report.Elapsed = total.Elapsed;
        return report;
    }

    private static byte[] Mutate(byte[] original, Random random, byte[] interesting)
    {
        byte[] bytes = original;
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations && bytes.Length > 4; m++)
        {
            switch (random.Next(6))
            {
                case 0: // bit flips, mostly near the start where the structure is
                    bytes = (byte[])bytes.Clone();
                    for (int f = random.Next(1, 9); f > 0; f--)
                    {
                        bytes[Position(bytes.Length, random)] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1: // truncation
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 2: // overwrite with structure bytes
                    bytes = (byte[])bytes.Clone();
                    for (int f = random.Next(1, 6); f > 0; f--)
                    {
                        bytes[random.Next(bytes.Length)] = interesting[random.Next(interesting.Length)];
                    }

                    break;
                case 3: // insert structure bytes
                    {
                        int at = random.Next(bytes.Length);
                        byte[] run = [.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => interesting[random.Next(interesting.Length)])];
                        bytes = [.. bytes.AsSpan(0, at), .. run, .. bytes.AsSpan(at)];
                        break;
                    }

                case 4: // duplicate a chunk
                    {
                        int start = random.Next(bytes.Length);
                        int length = Math.Min(random.Next(1, 512), bytes.Length - start);
                        int at = random.Next(bytes.Length);
                        bytes = [.. bytes.AsSpan(0, at), .. bytes.AsSpan(start, length), .. bytes.AsSpan(at)];
                        break;
                    }

                default: // delete a chunk
                    {
                        int start = random.Next(bytes.Length);
                        int length = Math.Min(random.Next(1, 512), bytes.Length - start);
                        bytes = [.. bytes.AsSpan(0, start), .. bytes.AsSpan(start + length)];
                        break;
                    }
            }
        }

        return bytes;
    }

    private static int Position(int length, Random random) =>
        random.Next(4) == 0 ? random.Next(length) : random.Next(Math.Min(length, 4096));

    private sealed class FuzzReport
    {
        public int Inputs { get; set; }

        public int Mapped { get; set; }

        public int Validated { get; set; }

        public int Rejected { get; set; }

        public long SlowestMilliseconds { get; set; }

        public TimeSpan Elapsed { get; set; }

        public string? Failure { get; set; }
    }
}
