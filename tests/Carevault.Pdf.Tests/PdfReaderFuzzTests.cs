using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Carevault.Pdf.Tests;

/// <summary>
/// Mutation fuzzing: 100,000 deterministic (seeded) mutants of real and hand-built PDFs — bit flips, truncations,
/// /Length and other number corruptions, token insertions, splices — each opened and text-extracted.
/// Asserts: no exception escapes, no input takes longer than a second, the whole run stays bounded.
/// </summary>
public class PdfReaderFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 100_000;
    private const int Seed = 20261121;

    private static readonly string[] Tokens =
    [
        "<<", ">>", "[", "]", "(", ")", "<", ">", "obj", "endobj", "stream", "endstream", " R", "0 0 R", "1 0 R", "xref",
        "trailer", "startxref", "-1", "99999999999", "/Type /XRef", "/Type /ObjStm", "/Filter /FlateDecode", "%%EOF", "\\",
        "/Length 5 0 R", "/Kids [2 0 R]", "/Prev 0", "/W [1 9 9]", "/Predictor 15", "/N 999999", "BT", "Tj", "TJ", "Do", "BI ID",
        "1.5e9", "--3", "/#41", "<FEFF", "% comment\n",
    ];

    private static readonly PdfReaderOptions FuzzOptions = new()
    {
        MaxDecodedStreamBytes = 4 * 1024 * 1024,
        MaxTotalDecodedBytes = 16 * 1024 * 1024,
        MaxObjects = 100_000,
        MaxPages = 1_000,
    };

    [Fact]
    public void OpenAndExtract_WhenInputMutated_NeverThrowsOrHangs()
    {
        var seeds = Seeds();
        foreach (var seed in seeds) PdfReader.Open(seed, FuzzOptions).Value?.ExtractText(); // JIT warm-up, not timed
        var random = new Random(Seed);
        var failures = new List<string>();
        var total = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        var slowestCase = "";
        int opened = 0, rejected = 0, textOk = 0;
        var codes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Iterations; i++)
        {
            // Small seeds most of the time; the two ~40 KB real files (10x slower to process) one time in 25.
            var seedIndex = random.Next(25) == 0 ? random.Next(2) : 2 + random.Next(seeds.Count - 2);
            var mutation = random.Next(8);
            var input = Mutate(seeds[seedIndex], mutation, random);
            var watch = Stopwatch.StartNew();
            try
            {
                var result = PdfReader.Open(input, FuzzOptions);
                if (result.IsSuccess)
                {
                    opened++;
                    _ = result.Value!.PageCount + result.Value.ActiveContent.Count;
                    var text = result.Value.ExtractText();
                    if (text.IsSuccess) textOk++;
                    else Assert.NotNull(text.Error);
                }
                else
                {
                    rejected++;
                    codes[result.Error!.Code] = codes.GetValueOrDefault(result.Error.Code) + 1;
                }
            }
            catch (Exception e)
            {
                if (failures.Count < 10) failures.Add($"iteration {i} (seed file {seedIndex}, mutation {mutation}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                else failures.Add("");
            }
            if (watch.Elapsed > slowest) { slowest = watch.Elapsed; slowestCase = $"iteration {i} (seed file {seedIndex}, mutation {mutation})"; }
        }
        total.Stop();
        output.WriteLine($"{Iterations} inputs in {total.Elapsed.TotalSeconds:F1} s: {opened} opened ({textOk} with text), {rejected} rejected; slowest {slowest.TotalMilliseconds:F0} ms at {slowestCase}");
        output.WriteLine("rejections: " + string.Join(", ", codes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));

        Assert.True(failures.Count == 0, $"{failures.Count} exceptions escaped; first:\n{string.Join("\n", failures.Take(10))}");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"slowest input took {slowest.TotalMilliseconds:F0} ms ({slowestCase})");
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(120), $"fuzz run took {total.Elapsed.TotalSeconds:F0} s");
        Assert.True(opened > Iterations / 10, "mutations too destructive to exercise the reader");
    }

    internal static List<byte[]> Seeds()
    {
        const string cmap = "begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfchar <0001> <0048> endbfchar 1 beginbfrange <0010> <0012> <0061> endbfrange endcmap";
        var simple = PdfBuilder.SimplePage("BT /F1 12 Tf 14 TL 72 720 Td [(He) -20 (llo)] TJ T* (world) ' ET").Add(6, "<< /Title (Fuzz) /CreationDate (D:20240101) >>");
        var original = simple.BuildWithXrefTable("/Root 1 0 R /Info 6 0 R");
        return
        [
            TestFiles.Read("lab_cbc_riverbend.pdf"),
            TestFiles.Read("lab_lipid_encrypted_aes256_userpw.pdf"),
            TestFiles.Read("lab_glucose_with_openaction_javascript.pdf"),
            original,
            new PdfBuilder().Add(6, "<< /Title (Updated) >>").AppendUpdate(original, simple.LastXrefOffset, "/Root 1 0 R /Info 6 0 R", 7),
            PdfBuilder.SimplePage("BT /F1 12 Tf 72 720 Td (Compressed objects) Tj ET", "/OpenAction 6 0 R")
                .Add(6, "<< /S /JavaScript /JS (x) >>").Compress(1, 2, 3, 4, 6).BuildWithXrefStream("/Root 1 0 R", 7, 8),
            PdfBuilder.SimplePage("BT /F1 10 Tf 50 700 Td <000100100011> Tj ET",
                    fontBody: "<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
                .Add(6, "<< /Type /Font /Subtype /CIDFontType2 /DW 500 /W [1 [600] 16 18 550] >>")
                .AddStream(7, "/Filter /FlateDecode", PdfBuilder.Deflate(cmap))
                .BuildWithXrefTable("/Root 1 0 R"),
            new PdfBuilder()
                .Add(1, "<< /Type /Catalog /Pages 2 0 R >>")
                .Add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
                .Add(3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> /XObject << /X 6 0 R >> >> /Contents 5 0 R >>")
                .Add(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Differences [65 /eacute /uni2265] >> >>")
                .AddStream(5, "/Filter [/ASCII85Decode /FlateDecode]", Encoding.ASCII.GetBytes(PdfReaderSyntheticTests.Ascii85Encode(PdfBuilder.Deflate("BT /F1 9 Tf 10 10 Td (AB) Tj ET /X Do"))))
                .AddStream(6, "/Subtype /Form /Filter /AHx", Encoding.ASCII.GetBytes(Convert.ToHexString("BT /F1 9 Tf 10 30 Td (form) Tj ET"u8) + ">"))
                .BuildWithXrefTable("/Root 1 0 R"),
        ];
    }

    internal static byte[] Mutate(byte[] seed, int mutation, Random random)
    {
        var data = (byte[])seed.Clone();
        switch (mutation)
        {
            case 0: // bit flips
                for (var k = random.Next(1, 9); k > 0; k--) data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                return data;
            case 1: // truncation
                return data[..random.Next(data.Length)];
            case 2: // /Length corruption
                return ReplaceNumberAfter(data, "/Length "u8, random);
            case 3: // random bytes over a range
            {
                var at = random.Next(data.Length);
                var len = Math.Min(random.Next(1, 64), data.Length - at);
                random.NextBytes(data.AsSpan(at, len));
                return data;
            }
            case 4: // token insertion
            {
                var token = Encoding.ASCII.GetBytes(Tokens[random.Next(Tokens.Length)]);
                var at = random.Next(data.Length + 1);
                return [.. data.AsSpan(0, at), .. token, .. data.AsSpan(at)];
            }
            case 5: // any number (offsets, counts, references, /Size, /N, /First, startxref)
                return ReplaceNumberAt(data, random.Next(data.Length), random);
            case 6: // splice: repeat a chunk elsewhere
            {
                var from = random.Next(data.Length);
                var len = Math.Min(random.Next(1, 512), data.Length - from);
                var at = random.Next(data.Length + 1);
                return [.. data.AsSpan(0, at), .. data.AsSpan(from, len), .. data.AsSpan(at)];
            }
            default: // deletion
            {
                var at = random.Next(data.Length);
                var len = Math.Min(random.Next(1, 256), data.Length - at);
                return [.. data.AsSpan(0, at), .. data.AsSpan(at + len)];
            }
        }
    }

    private static byte[] ReplaceNumberAfter(byte[] data, ReadOnlySpan<byte> key, Random random)
    {
        var hits = new List<int>();
        for (var i = data.AsSpan().IndexOf(key); i >= 0;)
        {
            hits.Add(i + key.Length);
            var next = data.AsSpan(i + 1).IndexOf(key);
            i = next < 0 ? -1 : i + 1 + next;
        }
        return hits.Count == 0 ? data : ReplaceNumberAt(data, hits[random.Next(hits.Count)], random);
    }

    private static byte[] ReplaceNumberAt(byte[] data, int position, Random random)
    {
        var start = position;
        while (start < data.Length && data[start] is < (byte)'0' or > (byte)'9') start++;
        if (start == data.Length) return data;
        var end = start;
        while (end < data.Length && data[end] is >= (byte)'0' and <= (byte)'9') end++;
        var original = long.Parse(Encoding.ASCII.GetString(data, start, end - start)[..Math.Min(end - start, 18)], System.Globalization.CultureInfo.InvariantCulture);
        var replacement = random.Next(6) switch
        {
            0 => 0,
            1 => original + random.Next(-5, 6),
            2 => int.MaxValue,
            3 => -original,
            4 => random.NextInt64(long.MaxValue),
            _ => random.Next(100_000),
        };
        var digits = Encoding.ASCII.GetBytes(replacement.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return [.. data.AsSpan(0, start), .. digits, .. data.AsSpan(end)];
    }
}
