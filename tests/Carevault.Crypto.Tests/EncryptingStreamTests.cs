using System.Security.Cryptography;
using Carevault.Crypto;

namespace Carevault.Crypto.Tests;

public class EncryptingStreamTests
{
    private const int Chunk = BlobFormat.DefaultChunkSize;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData((3 * 1024 * 1024) + 17)]
    public void Complete_AtSize_RoundTripsWithHashAndLength(int size)
    {
        var keys = TestBlobs.Ring("primary");
        var plaintext = TestBlobs.Plaintext(size);

        var blob = TestBlobs.Encrypt(plaintext, keys, out var result);

        Assert.Equal(plaintext, TestBlobs.Decrypt(blob, keys, readSize: 1000));      // buffered path
        Assert.Equal(plaintext, TestBlobs.Decrypt(blob, keys, readSize: 1 << 20));   // decrypt straight into the caller's buffer
        Assert.Equal(size, result.PlaintextLength);
        Assert.Equal(blob.Length, result.CiphertextLength);
        Assert.Equal(BlobFormat.GetCiphertextLength(size), blob.Length);
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256.ToArray());
        Assert.Equal("primary", result.KeyId);
        Assert.Equal(blob.AsSpan(0, BlobFormat.HeaderSize).ToArray(), result.Header.ToArray());
    }

    [Fact]
    public async Task EncryptAsync_FromStream_RoundTripsAndHashesPlaintext()
    {
        var keys = TestBlobs.Ring();
        var plaintext = TestBlobs.Plaintext(1_000_000);
        using var destination = new MemoryStream();

        var result = await BlobCipher.EncryptAsync(new MemoryStream(plaintext), destination, keys, new BlobEncryptionOptions { ChunkSize = 4096 });

        destination.Position = 0;
        await using var reader = await DecryptingStream.OpenAsync(destination, keys);
        using var output = new MemoryStream();
        await reader.CopyToAsync(output);
        Assert.Equal(plaintext, output.ToArray());
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256.ToArray());
        Assert.Equal(plaintext.Length, result.PlaintextLength);
        Assert.Equal(keys.Active.Id, result.KeyId);
        Assert.Equal(4096, reader.Header.ChunkSize);
        Assert.True(destination.CanRead, "EncryptAsync leaves the destination open");
    }

    [Fact]
    public void Write_InOddPieces_SameAsOneWrite()
    {
        var keys = TestBlobs.Ring();
        var plaintext = TestBlobs.Plaintext(20_000);
        using var output = new MemoryStream();
        using (var encryptor = new EncryptingStream(output, keys, new BlobEncryptionOptions { ChunkSize = 1024, LeaveOpen = true }))
        {
            int[] pieces = [0, 1, 1023, 1, 1024, 3000, 7, 1];
            int at = 0;
            foreach (int piece in pieces)
            {
                encryptor.Write(plaintext, at, piece);
                at += piece;
            }

            encryptor.WriteByte(plaintext[at++]);
            encryptor.Write(plaintext.AsSpan(at));
            encryptor.Complete();
        }

        Assert.Equal(plaintext, TestBlobs.Decrypt(output.ToArray(), keys));
    }

    [Fact]
    public void Encrypt_SamePlaintextTwice_ProducesDifferentBlobs()
    {
        var keys = TestBlobs.Ring();
        var plaintext = TestBlobs.Plaintext(5000);

        Assert.NotEqual(TestBlobs.Encrypt(plaintext, keys), TestBlobs.Encrypt(plaintext, keys));
    }

    [Fact]
    public void Dispose_WithoutComplete_BlobIsRejectedAsTruncated()
    {
        var keys = TestBlobs.Ring();
        using var output = new MemoryStream();
        using (var encryptor = new EncryptingStream(output, keys, new BlobEncryptionOptions { ChunkSize = 1024, LeaveOpen = true }))
        {
            encryptor.Write(TestBlobs.Plaintext(5000)); // the upload "fails" here: no Complete
        }

        var ex = Assert.Throws<BlobCryptoException>(() => TestBlobs.Decrypt(output.ToArray(), keys));
        Assert.Equal(BlobCryptoError.Truncated, ex.Error);
    }

    [Fact]
    public void Write_AfterComplete_Throws()
    {
        using var encryptor = new EncryptingStream(new MemoryStream(), TestBlobs.Ring());
        encryptor.Complete();

        Assert.Throws<InvalidOperationException>(() => encryptor.Write([1, 2, 3]));
    }

    [Theory]
    [InlineData(BlobFormat.MinChunkSize - 1)]
    [InlineData(BlobFormat.MaxChunkSize + 1)]
    public void Constructor_WhenChunkSizeOutOfRange_Throws(int chunkSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new EncryptingStream(new MemoryStream(), TestBlobs.Ring(), new BlobEncryptionOptions { ChunkSize = chunkSize }));
    }

    [Fact]
    public void Complete_WithDetachedHeader_BodyDecryptsWithHeaderFromResult()
    {
        var keys = TestBlobs.Ring();
        var plaintext = TestBlobs.Plaintext(70_000);
        using var body = new MemoryStream();
        BlobEncryptionResult result;
        using (var encryptor = new EncryptingStream(body, keys, new BlobEncryptionOptions { ChunkSize = 4096, DetachedHeader = true, LeaveOpen = true }))
        {
            encryptor.Write(plaintext);
            result = encryptor.Complete();
        }

        Assert.Equal(BlobFormat.GetCiphertextLength(plaintext.Length, 4096) - BlobFormat.HeaderSize, body.Length);
        Assert.Equal(body.Length, result.CiphertextLength);
        body.Position = 0;
        using var reader = DecryptingStream.Open(body, keys, new BlobDecryptionOptions { DetachedHeader = result.Header });
        Assert.Equal(plaintext.Length, reader.Length);
        Assert.Equal(plaintext, TestBlobs.ReadAll(reader, 3000));
    }

    [Fact]
    public void Encrypt_200MBFromGeneratedStream_AllocatesLittle()
    {
        var keys = TestBlobs.Ring();
        const long size = 200L * 1024 * 1024;
        var buffer = new byte[81920];
        using var encryptor = new EncryptingStream(Stream.Null, keys);
        var source = new GeneratedStream(size);
        encryptor.Write(buffer.AsSpan(0, 10)); // warm up (pool buckets, AES-GCM provider)

        long before = GC.GetAllocatedBytesForCurrentThread();
        int n;
        while ((n = source.Read(buffer)) > 0)
        {
            encryptor.Write(buffer.AsSpan(0, n));
        }

        var result = encryptor.Complete();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(size + 10, result.PlaintextLength);
        Assert.True(allocated < 4 * 1024 * 1024, $"allocated {allocated} bytes");
    }
}
