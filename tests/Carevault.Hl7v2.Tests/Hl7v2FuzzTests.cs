using System.Diagnostics;
using Carevault.Hl7v2.Acknowledgements;
using Carevault.Hl7v2.Messages;

namespace Carevault.Hl7v2.Tests;

/// <summary>
/// Mutation fuzzing over the whole corpus: bit flips, truncations, byte insertions (random, delimiter, CR/LF,
/// escape), separator swaps, chunk duplication and deletion. Deterministic (fixed seed) so a failure reproduces;
/// the failing iteration and file are in the message. Every parse must return (value or error) without throwing.
/// </summary>
public class Hl7v2FuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Iterations = 100_000;
    private const int Seed = 20261121;
    private static readonly byte[] Interesting = "|^~\\&#\r\n`\"MSHFHSBHSBTSFTSOBXED.brX0"u8.ToArray();

    [Fact]
    public void Parse_100kMutatedCorpusInputs_NeverThrows()
    {
        byte[][] corpus = [.. TestData.AllFiles().Select(TestData.Read).Where(b => b.Length > 0)];
        var random = new Random(Seed);
        var watch = Stopwatch.StartNew();
        int successes = 0;
        int failures = 0;
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = Mutate(corpus[random.Next(corpus.Length)], random);
            try
            {
                if ((i & 1) == 0)
                {
                    Hl7Result<Hl7Message> result = Hl7v2Parser.Parse(input);
                    if (result.IsSuccess)
                    {
                        successes++;
                        Exercise(result.Value, i, now);
                    }
                    else
                    {
                        failures++;
                        Assert.False(string.IsNullOrEmpty(result.Error.Message));
                        Hl7AckBuilder.BuildForUnparsed(new Hl7AckRequest { Code = Hl7AckCode.ApplicationReject, ControlId = "F", Timestamp = now, Error = Hl7AckError.From(result.Error) });
                    }
                }
                else
                {
                    Hl7Result<Hl7Batch> batch = Hl7v2Parser.ParseBatch(input);
                    foreach (Hl7Result<Hl7Message> message in batch.Value?.Messages ?? [])
                    {
                        if (message.Value is { } m)
                        {
                            successes++;
                            Exercise(m, i, now);
                        }
                        else
                        {
                            failures++;
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"iteration {i} (seed {Seed}) threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            }
        }

        watch.Stop();
        output.WriteLine($"{Iterations} inputs in {watch.Elapsed.TotalSeconds:F1} s: {successes} messages parsed, {failures} parse errors");
        Assert.True(successes > 1_000 && failures > 1_000, $"mutations too weak or too strong: {successes} ok, {failures} failed");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"fuzzing took {watch.Elapsed}");
    }

    /// <summary>Reads what ingestion would read: typed views, every value of small messages, an ACK.</summary>
    private static void Exercise(Hl7Message message, int iteration, DateTimeOffset now)
    {
        // Typed reads and the full walk cost more than the parse; sampling them keeps the test near 10 s (Debug, 2 cores).
        if (iteration % 4 != 0)
        {
            return;
        }

        _ = message.MessageCode switch
        {
            "ORU" => OruR01Reader.Read(message).IsSuccess,
            "ADT" => AdtReader.Read(message).IsSuccess,
            "MDM" => MdmT02Reader.Read(message).IsSuccess,
            _ => false,
        };

        if (iteration % 16 == 0)
        {
            foreach (Hl7Segment segment in message.Segments)
            {
                _ = segment.Id;
                for (int f = 0; f <= segment.FieldCount; f++)
                {
                    Hl7Value field = segment.Field(f);
                    for (int r = 0; r < field.RepetitionCount; r++)
                    {
                        Hl7Value rep = field.Repetition(r);
                        for (int c = 1; c <= rep.ComponentCount; c++)
                        {
                            _ = rep.Component(c).SubComponent(1).GetString();
                        }
                    }
                }
            }
        }

        Hl7v2Parser.Parse(Hl7AckBuilder.Build(message, new Hl7AckRequest { Code = Hl7AckCode.ApplicationAccept, ControlId = "F", Timestamp = now }));
    }

    private static byte[] Mutate(byte[] source, Random random)
    {
        byte[] data = (byte[])source.Clone();
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations && data.Length > 0; m++)
        {
            int at = random.Next(data.Length);
            switch (random.Next(7))
            {
                case 0: // bit flip
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // truncation (biased to the header, where most checks are)
                    data = data[..(random.Next(2) == 0 ? random.Next(Math.Min(data.Length, 64)) : at)];
                    break;
                case 2: // random byte insertion
                    data = [.. data[..at], (byte)random.Next(256), .. data[at..]];
                    break;
                case 3: // interesting byte insertion (delimiters, CR/LF, escape, segment ids)
                    data = [.. data[..at], Interesting[random.Next(Interesting.Length)], .. data[at..]];
                    break;
                case 4: // separator swap: replace a delimiter with another delimiter or a segment break
                    int sep = Array.FindIndex(data, at, b => b is (byte)'|' or (byte)'^' or (byte)'~' or (byte)'&' or (byte)'\\');
                    if (sep >= 0)
                    {
                        data[sep] = "|^~&\\\r\n"u8[random.Next(7)];
                    }

                    break;
                case 5: // duplicate a chunk (repeats segments, MSH, envelopes)
                    int length = Math.Min(random.Next(1, 200), data.Length - at);
                    data = [.. data[..(at + length)], .. data[at..(at + length)], .. data[(at + length)..]];
                    break;
                default: // delete a range
                    int cut = Math.Min(random.Next(1, 64), data.Length - at);
                    data = [.. data[..at], .. data[(at + cut)..]];
                    break;
            }
        }

        return data;
    }

    [Fact]
    public void Parse_TypicalMessage_AllocatesBoundedMemory()
    {
        byte[] bytes = TestData.Read("ms_oru_r01_v251.hl7");
        Hl7v2Parser.Parse(bytes); // warm up (JIT, static caches)

        long before = GC.GetAllocatedBytesForCurrentThread();
        Hl7Result<Hl7Message> result = Hl7v2Parser.Parse(bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(result.IsSuccess);
        Assert.True(allocated < (bytes.Length * 3) + 4096, $"parse of {bytes.Length} bytes allocated {allocated} bytes");
    }
}
