using Carevault.Crypto;

namespace Carevault.Crypto.Tests;

/// <summary>Shared helpers: deterministic plaintexts, key rings and one-call encrypt/decrypt.</summary>
internal static class TestBlobs
{
    public static byte[] Plaintext(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static MasterKeyRing Ring(string? id = null) => new(MasterKey.Generate(id));

    public static byte[] Encrypt(byte[] plaintext, MasterKeyRing keys, int chunkSize = BlobFormat.DefaultChunkSize) =>
        Encrypt(plaintext, keys, out _, chunkSize);

    public static byte[] Encrypt(byte[] plaintext, MasterKeyRing keys, out BlobEncryptionResult result, int chunkSize = BlobFormat.DefaultChunkSize)
    {
        using var output = new MemoryStream();
        using (var encryptor = new EncryptingStream(output, keys, new BlobEncryptionOptions { ChunkSize = chunkSize, LeaveOpen = true }))
        {
            encryptor.Write(plaintext);
            result = encryptor.Complete();
        }

        return output.ToArray();
    }

    /// <summary>Reads to the end with reads of <paramref name="readSize"/> bytes.</summary>
    public static byte[] Decrypt(byte[] blob, MasterKeyRing keys, int readSize = 8192)
    {
        using var stream = DecryptingStream.Open(new MemoryStream(blob), keys);
        return ReadAll(stream, readSize);
    }

    public static byte[] ReadAll(Stream stream, int readSize)
    {
        using var output = new MemoryStream();
        var buffer = new byte[readSize];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    /// <summary>Record <paramref name="index"/>'s bounds in a blob with an attached header.</summary>
    public static (int Offset, int Length) Record(byte[] blob, int index, int chunkSize)
    {
        int offset = BlobFormat.HeaderSize + (index * (chunkSize + BlobFormat.TagSize));
        return (offset, Math.Min(chunkSize + BlobFormat.TagSize, blob.Length - offset));
    }
}

/// <summary>An endless (or bounded) stream of cheap pseudo-random bytes that allocates nothing per read.</summary>
internal sealed class GeneratedStream(long length) : Stream
{
    private ulong _state = 0x9E3779B97F4A7C15;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        for (int i = 0; i < n; i++)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            buffer[i] = (byte)_state;
        }

        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
