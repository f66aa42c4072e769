using Carevault.Crypto;

namespace Carevault.Crypto.Tests;

public class DecryptingStreamTests
{
    private const int Chunk = 1024;

    // 4 full chunks and a short final chunk of 904 bytes.
    private static readonly byte[] Plaintext = TestBlobs.Plaintext((4 * Chunk) + 904, seed: 7);

    private readonly MasterKeyRing _keys = TestBlobs.Ring("primary-2026");

    private byte[] Blob(byte[]? plaintext = null) => TestBlobs.Encrypt(plaintext ?? Plaintext, _keys, Chunk);

    /// <summary>Reads until the end or a failure; returns what was released and the failure.</summary>
    private (byte[] Released, BlobCryptoException? Error) ReadUntilFailure(byte[] blob, int readSize = 100)
    {
        using var released = new MemoryStream();
        try
        {
            using var stream = DecryptingStream.Open(new MemoryStream(blob), _keys);
            var buffer = new byte[readSize];
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                released.Write(buffer, 0, n);
            }

            return (released.ToArray(), null);
        }
        catch (BlobCryptoException ex)
        {
            return (released.ToArray(), ex);
        }
    }

    private void AssertFails(byte[] blob, BlobCryptoError expected, int verifiedChunks)
    {
        foreach (int readSize in new[] { 100, 1 << 16 })
        {
            var (released, error) = ReadUntilFailure(blob, readSize);

            Assert.NotNull(error);
            Assert.Equal(expected, error.Error);
            // Only chunks whose tags verified were released, and they are exactly the plaintext's prefix.
            Assert.Equal(Plaintext.AsSpan(0, Math.Min(Plaintext.Length, verifiedChunks * Chunk)).ToArray(), released);
        }
    }

    [Theory]
    [InlineData(0, BlobCryptoError.NotAnEncryptedBlob)]   // magic
    [InlineData(4, BlobCryptoError.UnsupportedVersion)]   // format version
    [InlineData(5, BlobCryptoError.UnsupportedVersion)]   // suite
    [InlineData(7, BlobCryptoError.MalformedHeader)]      // header size
    [InlineData(9, BlobCryptoError.KeyUnwrapFailed)]      // chunk size (still in range): header hash changes
    [InlineData(15, BlobCryptoError.KeyUnwrapFailed)]     // nonce prefix
    [InlineData(25, BlobCryptoError.MalformedHeader)]     // reserved
    [InlineData(32, BlobCryptoError.MalformedHeader)]     // key id length → non-zero padding
    [InlineData(33, BlobCryptoError.UnknownKeyId)]        // key id 'p' → 'q'
    [InlineData(50, BlobCryptoError.MalformedHeader)]     // key id padding
    [InlineData(70, BlobCryptoError.KeyUnwrapFailed)]     // wrap nonce
    [InlineData(90, BlobCryptoError.KeyUnwrapFailed)]     // wrapped key
    [InlineData(120, BlobCryptoError.KeyUnwrapFailed)]    // wrap tag
    [InlineData(127, BlobCryptoError.MalformedHeader)]    // reserved tail
    public void Open_WhenHeaderByteFlipped_FailsBeforeAnyPlaintext(int offset, BlobCryptoError expected)
    {
        var blob = Blob();
        blob[offset] ^= 0x01;

        AssertFails(blob, expected, verifiedChunks: 0);
    }

    [Fact]
    public void Read_WhenChunkCiphertextByteFlipped_ReleasesOnlyEarlierChunks()
    {
        var blob = Blob();
        var (offset, _) = TestBlobs.Record(blob, 2, Chunk);
        blob[offset + 500] ^= 0x80;

        AssertFails(blob, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 2);
    }

    [Fact]
    public void Read_WhenTagByteFlipped_Fails()
    {
        var blob = Blob();
        var (offset, length) = TestBlobs.Record(blob, 1, Chunk);
        blob[offset + length - 1] ^= 0x01;

        AssertFails(blob, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 1);
    }

    [Fact]
    public void Read_WhenFinalChunkTampered_ReleasesNothingOfIt()
    {
        var blob = Blob();
        blob[^20] ^= 0x01;

        AssertFails(blob, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Read_WhenLastChunksDropped_FailsAsTruncated(int dropped)
    {
        var blob = Blob();
        var (offset, _) = TestBlobs.Record(blob, 5 - dropped, Chunk);

        AssertFails(blob[..offset], BlobCryptoError.Truncated, verifiedChunks: 4 - dropped);
    }

    [Fact]
    public void Read_WhenCutInsideFinalTag_Fails()
    {
        var blob = Blob();

        AssertFails(blob[..^3], BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 4);
    }

    [Fact]
    public void Read_WhenOnlyHeaderRemains_FailsAsTruncated()
    {
        AssertFails(Blob()[..BlobFormat.HeaderSize], BlobCryptoError.Truncated, verifiedChunks: 0);
    }

    [Fact]
    public void Read_WhenTwoChunksSwapped_Fails()
    {
        var blob = Blob();
        var (a, length) = TestBlobs.Record(blob, 1, Chunk);
        var (b, _) = TestBlobs.Record(blob, 2, Chunk);
        var first = blob.AsSpan(a, length).ToArray();
        blob.AsSpan(b, length).CopyTo(blob.AsSpan(a));
        first.CopyTo(blob.AsSpan(b));

        AssertFails(blob, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 1);
    }

    [Fact]
    public void Read_WhenChunkDuplicated_Fails()
    {
        var blob = Blob();
        var (offset, length) = TestBlobs.Record(blob, 1, Chunk);
        byte[] duplicated = [.. blob.AsSpan(0, offset + length), .. blob.AsSpan(offset, length), .. blob.AsSpan(offset + length)];

        AssertFails(duplicated, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 2);
    }

    [Fact]
    public void Read_WhenChunkFromAnotherObjectSpliced_Fails()
    {
        var blob = Blob();
        var other = TestBlobs.Encrypt(Plaintext, _keys, Chunk);
        var (offset, length) = TestBlobs.Record(blob, 3, Chunk);
        other.AsSpan(offset, length).CopyTo(blob.AsSpan(offset));

        AssertFails(blob, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 3);
    }

    [Fact]
    public void Read_WhenBytesAppendedAfterShortFinalChunk_Fails()
    {
        byte[] blob = [.. Blob(), 0x00];

        AssertFails(blob, BlobCryptoError.ChunkAuthenticationFailed, verifiedChunks: 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Chunk + BlobFormat.TagSize)]
    public void Read_WhenBytesAppendedAfterFullFinalChunk_FailsAsTrailingData(int appended)
    {
        var plaintext = TestBlobs.Plaintext(3 * Chunk, seed: 7);
        byte[] blob = [.. TestBlobs.Encrypt(plaintext, _keys, Chunk), .. new byte[appended]];

        var (released, error) = ReadUntilFailure(blob);

        Assert.Equal(BlobCryptoError.TrailingData, error?.Error);
        Assert.Equal(plaintext.AsSpan(0, 2 * Chunk).ToArray(), released);
    }

    [Fact]
    public void Open_WithWrongMasterKeyUnderSameId_FailsToUnwrap()
    {
        var blob = Blob();
        var impostor = TestBlobs.Ring("primary-2026");

        var ex = Assert.Throws<BlobCryptoException>(() => DecryptingStream.Open(new MemoryStream(blob), impostor));

        Assert.Equal(BlobCryptoError.KeyUnwrapFailed, ex.Error);
        Assert.IsAssignableFrom<System.Security.Cryptography.CryptographicException>(ex);
    }

    [Fact]
    public void Open_WithUnknownKeyId_Fails()
    {
        var ex = Assert.Throws<BlobCryptoException>(() => DecryptingStream.Open(new MemoryStream(Blob()), TestBlobs.Ring("other")));

        Assert.Equal(BlobCryptoError.UnknownKeyId, ex.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Open_WhenNotABlob_Fails(int length)
    {
        var ex = Assert.Throws<BlobCryptoException>(() => DecryptingStream.Open(new MemoryStream(new byte[length]), _keys));

        Assert.Equal(BlobCryptoError.NotAnEncryptedBlob, ex.Error);
    }

    [Fact]
    public void Read_AfterFailure_KeepsFailing()
    {
        var blob = Blob();
        blob[^20] ^= 0x01;
        using var stream = DecryptingStream.Open(new MemoryStream(blob), _keys);
        var buffer = new byte[Plaintext.Length];
        Assert.Equal(Chunk, stream.Read(buffer));
        stream.ReadExactly(buffer.AsSpan(0, 3 * Chunk));

        Assert.Throws<BlobCryptoException>(() => stream.Read(buffer));
        var again = Assert.Throws<BlobCryptoException>(() => stream.Read(buffer));
        Assert.Equal(BlobCryptoError.ChunkAuthenticationFailed, again.Error);
        Assert.Equal(4, again.ChunkIndex);
    }

    [Fact]
    public void Seek_ToRandomRanges_ReturnsSliceOfPlaintext()
    {
        var plaintext = TestBlobs.Plaintext(300_000, seed: 3);
        var blob = TestBlobs.Encrypt(plaintext, _keys, chunkSize: 4096);
        using var stream = DecryptingStream.Open(new MemoryStream(blob), _keys);
        var random = new Random(42);
        var buffer = new byte[plaintext.Length];

        Assert.True(stream.CanSeek);
        Assert.Equal(plaintext.Length, stream.Length);
        for (int i = 0; i < 300; i++)
        {
            int start = random.Next(plaintext.Length + 1);
            int count = random.Next(Math.Min(plaintext.Length - start, i % 3 == 0 ? 50_000 : 5000) + 1);
            stream.Position = start;
            stream.ReadExactly(buffer, 0, count);

            Assert.Equal(plaintext.AsSpan(start, count).ToArray(), buffer.AsSpan(0, count).ToArray());
            Assert.Equal(start + count, stream.Position);
        }
    }

    [Fact]
    public void Seek_FromEndAndPastEnd_BehavesLikeAFile()
    {
        using var stream = DecryptingStream.Open(new MemoryStream(Blob()), _keys);
        var buffer = new byte[10];

        stream.Seek(-10, SeekOrigin.End);
        stream.ReadExactly(buffer);
        Assert.Equal(Plaintext[^10..], buffer);
        Assert.Equal(0, stream.Read(buffer));

        stream.Seek(5, SeekOrigin.End);
        Assert.Equal(0, stream.Read(buffer));

        stream.Seek(3, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        Assert.Equal(Plaintext[3..13], buffer);
    }

    [Fact]
    public async Task OpenAsync_WithOffsetCallback_ReadsOnlyChunksCoveringTheRange()
    {
        var plaintext = TestBlobs.Plaintext(1_000_000, seed: 5);
        var blob = TestBlobs.Encrypt(plaintext, _keys);
        long bytesServed = 0;
        var opens = new List<long>();
        Task<Stream> OpenAt(long offset, CancellationToken ct)
        {
            opens.Add(offset);
            return Task.FromResult<Stream>(new CountingStream(new MemoryStream(blob, (int)offset, blob.Length - (int)offset), n => bytesServed += n));
        }

        await using var stream = await DecryptingStream.OpenAsync(OpenAt, blob.Length, _keys);
        stream.Position = 500_000;
        var buffer = new byte[100];
        await stream.ReadExactlyAsync(buffer);

        Assert.Equal(plaintext.AsSpan(500_000, 100).ToArray(), buffer);
        Assert.Equal(plaintext.Length, stream.Length);
        long chunk = 500_000 / BlobFormat.DefaultChunkSize;
        Assert.Equal(new long[] { 0, BlobFormat.HeaderSize + BlobFormat.GetChunkBodyOffset(chunk, BlobFormat.DefaultChunkSize) }, opens);
        // The header read plus one chunk record (and its one look-ahead byte); never the whole object.
        Assert.True(bytesServed < 3 * (BlobFormat.DefaultChunkSize + BlobFormat.TagSize), $"served {bytesServed}");
    }

    [Fact]
    public void Read_Of20MB_AllocatesLittle()
    {
        var plaintext = TestBlobs.Plaintext(20 * 1024 * 1024);
        var blob = TestBlobs.Encrypt(plaintext, _keys);
        var buffer = new byte[81920];
        using var source = new MemoryStream(blob);
        using var stream = DecryptingStream.Open(source, _keys);
        stream.ReadExactly(buffer.AsSpan(0, 10)); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = 10;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            total += n;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(plaintext.Length, total);
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
    }

    private sealed class CountingStream(Stream inner, Action<int> onRead) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            onRead(n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
