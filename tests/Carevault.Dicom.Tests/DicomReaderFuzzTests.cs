using System.Buffers.Binary;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Carevault.Dicom.Tests;

/// <summary>
/// Seeded mutation fuzzing over the sample files: bit flips, truncations, length-field corruptions, byte runs,
/// splices. Every input goes through <see cref="DicomFileReader"/> and <see cref="DicomMetadataReader"/> (and
/// every 64th through the forward-only stream path). Asserts: no exception escapes, every input finishes
/// quickly (no hang), and allocation stays proportional to the input (a corrupted length allocates nothing).
/// </summary>
public sealed class DicomReaderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261121;
    private const int Inputs = 100_000;
    private static readonly uint[] NastyLengths = [0xFFFF_FFFF, 0xFFFF_FFFE, 0x7FFF_FFFF, 0x8000_0000, 0x0001_0000, 0xFFFF, 0xFFFE, 7, 1, 0];

    private static readonly DicomReaderOptions Options = new() { MaxInputLength = 8 * 1024 * 1024 };

    [Fact]
    public async Task Read_100000MutatedInputs_NeverThrowsHangsOrOverAllocates()
    {
        var corpus = Directory.GetFiles(TestData.Directory, "*.dcm").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var run = Task.Run(() => Fuzz(corpus));

        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120)));
        Assert.True(finished == run, "fuzzing did not finish in 120 s: a loop does not terminate");
        var report = await run;
        output.WriteLine($"{report.Inputs} inputs (seed {Seed}): {report.Succeeded} read, {report.Failed} rejected with an error, slowest {report.SlowestMilliseconds} ms");
        Assert.True(report.Failure is null, report.Failure);
        Assert.Equal(Inputs, report.Inputs);
        Assert.True(report.Failed > Inputs / 10, $"only {report.Failed} mutated inputs were rejected: are mutations applied?");
        Assert.True(report.Succeeded > 0, "no mutated input was accepted: are the readers too strict?");
        Assert.True(report.SlowestMilliseconds < 2000, $"one input took {report.SlowestMilliseconds} ms");
    }

    private static FuzzReport Fuzz(byte[][] corpus)
    {
        var random = new Random(Seed);
        var report = new FuzzReport();
        var watch = new Stopwatch();
        for (var i = 0; i < Inputs; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Length)], random);
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            watch.Restart();
            try
            {
                var file = DicomFileReader.Read(input, Options);
                var metadata = DicomMetadataReader.Read(input, Options);
                if (i % 64 == 0)
                {
                    using var stream = new ForwardOnlyStream(new MemoryStream(input));
                    var fromStream = DicomMetadataReader.Read(stream, Options);
                    if (fromStream.IsSuccess != metadata.IsSuccess)
                    {
                        report.Failure ??= $"input {i} (seed {Seed}): stream and span disagree: {fromStream.Error} vs {metadata.Error}";
                    }
                }

                if (file.IsSuccess)
                {
                    report.Succeeded++;
                    Touch(file.Value);
                }
                else
                {
                    report.Failed++;
                    if (string.IsNullOrEmpty(file.Error.Message))
                    {
                        report.Failure ??= $"input {i} (seed {Seed}): error without a message";
                    }
                }
            }
#pragma warning disable CA1031 // the point of the test: report any exception as a failure with its seed
            catch (Exception e)
#pragma warning restore CA1031
            {
                report.Failure ??= $"input {i} (seed {Seed}, {input.Length} bytes): {e}";
            }

            report.SlowestMilliseconds = Math.Max(report.SlowestMilliseconds, watch.ElapsedMilliseconds);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            var allowed = (64L * input.Length) + (3L * Options.MaxInputLength);
            if (allocated > allowed)
            {
                report.Failure ??= $"input {i} (seed {Seed}): allocated {allocated} bytes for {input.Length} input bytes";
            }

            report.Inputs++;
        }

        return report;
    }

    /// <summary>Reads every text value of the tree, so decoding runs on mutated bytes too.</summary>
    private static void Touch(DicomFile file)
    {
        foreach (var element in file.Dataset.Elements)
        {
            if (element.VR.IsText())
            {
                _ = file.GetString(file.Dataset, element.Tag);
            }
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations && bytes.Length > 8; m++)
        {
            switch (random.Next(6))
            {
                case 0: // bit flips, mostly in the first 4 KiB where the structure is
                    for (var f = random.Next(1, 9); f > 0; f--)
                    {
                        var at = Position(bytes.Length, random);
                        bytes[at] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1: // truncation
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 2: // a 32-bit length field
                    {
                        var at = Math.Min(Position(bytes.Length, random) & ~1, bytes.Length - 4);
                        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), random.Next(3) == 0 ? (uint)random.Next() : NastyLengths[random.Next(NastyLengths.Length)]);
                        break;
                    }

                case 3: // a 16-bit length field
                    {
                        var at = Math.Min(Position(bytes.Length, random) & ~1, bytes.Length - 2);
                        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)NastyLengths[random.Next(NastyLengths.Length)]);
                        break;
                    }

                case 4: // a run of 00 or FF (delimiter-like bytes)
                    {
                        var at = Position(bytes.Length, random);
                        bytes.AsSpan(at, Math.Min(random.Next(1, 32), bytes.Length - at)).Fill(random.Next(2) == 0 ? (byte)0x00 : (byte)0xFF);
                        break;
                    }

                default: // splice: repeat or drop a chunk
                    {
                        var at = Position(bytes.Length, random);
                        var length = Math.Min(random.Next(1, 256), bytes.Length - at);
                        bytes = random.Next(2) == 0
                            ? [.. bytes.AsSpan(0, at + length), .. bytes.AsSpan(at)]
                            : [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + length)];
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

        public int Succeeded { get; set; }

        public int Failed { get; set; }

        public long SlowestMilliseconds { get; set; }

        public string? Failure { get; set; }
    }
}
