using System.Diagnostics;
using System.Security.Cryptography;
using Carevault.Crypto;
using Xunit.Abstractions;

namespace Carevault.Crypto.Tests;

/// <summary>
/// A quick figure, not a benchmark: prints encrypt throughput against raw AES-GCM on one 64 KiB buffer.
/// Opt-in (it pushes several GB through AES): CAREVAULT_PERF=1 dotnet test tests/Carevault.Crypto.Tests -c Release
/// --filter ThroughputReport --logger "console;verbosity=detailed"
/// </summary>
public class ThroughputReport(ITestOutputHelper output)
{
    private const int Mb = 1024 * 1024;

    [PerfFact]
    public void Encrypt_256MB_PrintsThroughputAgainstRawAesGcm()
    {
        const int total = 256 * Mb;
        var buffer = TestBlobs.Plaintext(BlobFormat.DefaultChunkSize);
        var tag = new byte[16];
        var nonce = new byte[12];
        var keys = TestBlobs.Ring();
        using var aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        var output1 = new byte[buffer.Length];

        var blob = TestBlobs.Encrypt(TestBlobs.Plaintext(64 * Mb), keys);
        var readBuffer = new byte[BlobFormat.DefaultChunkSize];
        (string Name, Action Run)[] cases =
        [
            ("raw", () =>
            {
                for (int done = 0; done < total; done += buffer.Length)
                {
                    aes.Encrypt(nonce, buffer, output1, tag);
                }
            }),
            ("sha", () =>
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (int done = 0; done < total; done += buffer.Length)
                {
                    hash.AppendData(buffer);
                }
            }),
            ("raw+sha", () =>
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (int done = 0; done < total; done += buffer.Length)
                {
                    hash.AppendData(buffer);
                    aes.Encrypt(nonce, buffer, output1, tag);
                }
            }),
            ("encrypt", () =>
            {
                using var encryptor = new EncryptingStream(Stream.Null, keys);
                for (int done = 0; done < total; done += buffer.Length)
                {
                    encryptor.Write(buffer);
                }

                encryptor.Complete();
            }),
            ("decrypt", () =>
            {
                for (int i = 0; i < total / (64 * Mb); i++)
                {
                    using var reader = DecryptingStream.Open(new MemoryStream(blob), keys);
                    while (reader.Read(readBuffer) > 0)
                    {
                    }
                }
            }),
        ];

        // The machine is shared: interleave the cases and keep each one's best round.
        var best = cases.ToDictionary(c => c.Name, _ => double.MaxValue);
        for (int round = 0; round < 6; round++)
        {
            foreach (var (name, run) in cases)
            {
                var sw = Stopwatch.StartNew();
                run();
                best[name] = Math.Min(best[name], sw.Elapsed.TotalSeconds);
            }
        }

        double raw = total / (double)Mb / best["raw"];
        double sha = total / (double)Mb / best["sha"];
        double rawSha = total / (double)Mb / best["raw+sha"];
        double stream = total / (double)Mb / best["encrypt"];
        double decrypt = total / (double)Mb / best["decrypt"];

        output.WriteLine($"raw AesGcm.Encrypt, one 64 KiB buffer: {raw,8:F0} MB/s");
        output.WriteLine($"SHA-256 alone, 64 KiB appends:          {sha,8:F0} MB/s");
        output.WriteLine($"raw AesGcm + SHA-256 on the same buffer: {rawSha,8:F0} MB/s");
        output.WriteLine($"EncryptingStream (AES-GCM + SHA-256):   {stream,8:F0} MB/s  ({stream / raw:P0} of raw, {stream / rawSha:P0} of raw+sha)");
        output.WriteLine($"DecryptingStream (64 KiB reads):        {decrypt,8:F0} MB/s  ({decrypt / raw:P0} of raw)");
    }
}

/// <summary>A fact that runs only when CAREVAULT_PERF=1.</summary>
public sealed class PerfFactAttribute : FactAttribute
{
    public PerfFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CAREVAULT_PERF") != "1")
        {
            Skip = "Timing figure; set CAREVAULT_PERF=1 to run.";
        }
    }
}
