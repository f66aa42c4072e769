using Carevault.Crypto;

namespace Carevault.Crypto.Tests;

/// <summary>Random damage to a stored blob: never another exception, never a byte that is not the plaintext's.</summary>
public class DecryptingStreamFuzzTests
{
    [Fact]
    public void Read_AfterRandomDamage_FailsCleanlyAndReleasesOnlyAPlaintextPrefix()
    {
        var keys = TestBlobs.Ring("fuzz");
        var plaintext = TestBlobs.Plaintext((5 * 1024) + 300, seed: 11);
        var original = TestBlobs.Encrypt(plaintext, keys, chunkSize: 1024);
        var random = new Random(2026);
        var readBuffer = new byte[700];

        for (int i = 0; i < 3000; i++)
        {
            var blob = Damage(original, random);
            using var released = new MemoryStream();
            try
            {
                using var stream = DecryptingStream.Open(new MemoryStream(blob), keys);
                int n;
                while ((n = stream.Read(readBuffer)) > 0)
                {
                    released.Write(readBuffer, 0, n);
                }

                Assert.Equal(original, blob); // only an undamaged blob reads to the end
                Assert.Equal(plaintext, released.ToArray());
            }
            catch (BlobCryptoException)
            {
                var prefix = released.ToArray();
                Assert.True(prefix.Length % 1024 == 0, $"iteration {i}: released {prefix.Length} bytes, not whole chunks");
                Assert.Equal(plaintext.AsSpan(0, prefix.Length).ToArray(), prefix);
            }
        }
    }

    private static byte[] Damage(byte[] blob, Random random)
    {
        int at = random.Next(blob.Length);
        return random.Next(5) switch
        {
            0 => Flip(blob, at, random),
            1 => blob[..at],                                                           // cut
            2 => [.. blob, .. RandomBytes(random, 1 + random.Next(2000))],            // append
            3 => [.. blob[..at], .. RandomBytes(random, 1 + random.Next(50)), .. blob[at..]], // insert
            _ => [.. blob[..at], .. blob[Math.Min(blob.Length, at + 1 + random.Next(1100))..]], // delete
        };
    }

    private static byte[] Flip(byte[] blob, int at, Random random)
    {
        var copy = (byte[])blob.Clone();
        copy[at] ^= (byte)(1 + random.Next(255));
        return copy;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
