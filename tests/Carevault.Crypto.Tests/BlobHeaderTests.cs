using Carevault.Crypto;

namespace Carevault.Crypto.Tests;

public class BlobHeaderTests
{
    [Fact]
    public async Task RewrapInPlace_WithRotatedRing_DecryptsWithNewKeyAlone()
    {
        var oldKey = MasterKey.Generate("old");
        var newKey = MasterKey.Generate("new");
        var plaintext = TestBlobs.Plaintext(200_000);
        var blob = TestBlobs.Encrypt(plaintext, new MasterKeyRing(oldKey), chunkSize: 4096);
        var originalBody = blob[BlobFormat.HeaderSize..];
        var rotated = new MasterKeyRing(oldKey).Rotate(newKey);

        using (var file = new MemoryStream())
        {
            file.Write(blob);
            file.Position = 0;
            var header = await BlobCipher.RewrapInPlaceAsync(file, rotated);
            Assert.Equal("new", header.KeyId);
            blob = file.ToArray();
        }

        Assert.Equal(originalBody, blob[BlobFormat.HeaderSize..]);
        Assert.Equal(plaintext, TestBlobs.Decrypt(blob, new MasterKeyRing(newKey)));
        var ex = Assert.Throws<BlobCryptoException>(() => TestBlobs.Decrypt(blob, new MasterKeyRing(oldKey)));
        Assert.Equal(BlobCryptoError.UnknownKeyId, ex.Error);
    }

    [Fact]
    public void Rewrap_KeepsImmutablePartAndChangesWrap()
    {
        var oldRing = TestBlobs.Ring("a");
        var header = BlobHeader.Parse(TestBlobs.Encrypt([1, 2, 3], oldRing));

        var rewrapped = header.Rewrap(oldRing.Rotate(MasterKey.Generate("b")));

        Assert.Equal(header.Bytes[..32].ToArray(), rewrapped.Bytes[..32].ToArray());
        Assert.NotEqual(header.Bytes[32..].ToArray(), rewrapped.Bytes[32..].ToArray());
        Assert.Equal("b", rewrapped.KeyId);
        Assert.Equal(header.ChunkSize, rewrapped.ChunkSize);
    }

    [Fact]
    public void Rewrap_WithoutOldKey_FailsWithUnknownKeyId()
    {
        var header = BlobHeader.Parse(TestBlobs.Encrypt([1], TestBlobs.Ring("a")));

        var ex = Assert.Throws<BlobCryptoException>(() => header.Rewrap(TestBlobs.Ring("b")));

        Assert.Equal(BlobCryptoError.UnknownKeyId, ex.Error);
    }

    [Fact]
    public void Rewrap_WrapFromAnotherObject_IsRejected()
    {
        // The wrap's AAD binds the immutable header hash, so a key-wrap region moved between objects fails.
        var ring = TestBlobs.Ring("a");
        var first = TestBlobs.Encrypt([1, 2, 3], ring);
        var second = TestBlobs.Encrypt([4, 5, 6], ring);
        second.AsSpan(32, 96).CopyTo(first.AsSpan(32));

        var ex = Assert.Throws<BlobCryptoException>(() => TestBlobs.Decrypt(first, ring));

        Assert.Equal(BlobCryptoError.KeyUnwrapFailed, ex.Error);
    }

    [Theory]
    [InlineData(0, 65_536, 1)]
    [InlineData(1, 65_536, 1)]
    [InlineData(65_536, 65_536, 1)]
    [InlineData(65_537, 65_536, 2)]
    public void GetChunkCount_AtSize_CountsFinalChunk(long plaintextLength, int chunkSize, long expected)
    {
        Assert.Equal(expected, BlobFormat.GetChunkCount(plaintextLength, chunkSize));
        long body = BlobFormat.GetCiphertextLength(plaintextLength, chunkSize) - BlobFormat.HeaderSize;
        Assert.Equal(plaintextLength, BlobFormat.GetPlaintextLength(body, chunkSize));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(1040 + 15)]
    public void GetPlaintextLength_WhenCutInsideTag_ReturnsMinusOne(long bodyLength)
    {
        Assert.Equal(-1, BlobFormat.GetPlaintextLength(bodyLength, 1024));
    }
}
