using System.Buffers.Binary;
using System.Diagnostics;

namespace Carevault.Crypto;

/// <summary>
/// Byte layout of an encrypted blob (format version 1). See docs/decisions/0004-blob-encryption-format.md.
/// <code>
/// header (128 bytes, big-endian)
///   0   4  magic "CVEB"
///   4   1  format version = 1
///   5   1  suite = 1 (AES-256-GCM chunks, AES-256-GCM data-key wrap)
///   6   2  header size = 128
///   8   4  chunk size (plaintext bytes per chunk)
///   12  8  nonce prefix (random per object)
///   20 12  reserved, zero
///   -- key-wrap region (bytes 32..127): the only bytes a re-wrap rewrites --
///   32  1  master key id length n (1..32)
///   33 32  master key id, ASCII, zero padded
///   65 12  wrap nonce (random)
///   77 32  wrapped data key
///   109 16 wrap tag
///   125 3  reserved, zero
/// chunks: ciphertext (chunk size bytes; the final chunk 0..chunk size) followed by its 16-byte tag
///   nonce = nonce prefix (8) || chunk index (u32)
///   AAD   = SHA-256(header[0..32]) (32) || chunk index (u32) || final flag (1)
/// wrap AAD = SHA-256(header[0..32]) (32) || n (1) || key id (n)
/// </code>
/// </summary>
public static class BlobFormat
{
    public const int HeaderSize = 128;
    public const int TagSize = 16;
    public const int NonceSize = 12;
    public const int NoncePrefixSize = 8;
    public const int DataKeySize = 32;
    public const int MaxKeyIdLength = 32;
    public const int DefaultChunkSize = 64 * 1024;
    public const int MinChunkSize = 1024;
    public const int MaxChunkSize = 16 * 1024 * 1024;
    public const byte Version = 1;
    public const byte Suite = 1;

    /// <summary>The chunk index is a u32 in the nonce, so an object holds at most 2^32 chunks.</summary>
    public const long MaxChunkCount = 1L << 32;

    internal const int FixedPartSize = 32;
    internal const int KeyIdLengthOffset = 32;
    internal const int KeyIdOffset = 33;
    internal const int WrapNonceOffset = 65;
    internal const int WrappedKeyOffset = 77;
    internal const int WrapTagOffset = 109;
    internal const int ReservedTailOffset = 125;
    internal const int HeaderHashSize = 32;
    internal const int ChunkAadSize = HeaderHashSize + 4 + 1;

    internal static ReadOnlySpan<byte> Magic => "CVEB"u8;

    /// <summary>Total size of the stored object (header included) for a plaintext of the given length.</summary>
    public static long GetCiphertextLength(long plaintextLength, int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        ValidateChunkSize(chunkSize);
        long chunks = GetChunkCount(plaintextLength, chunkSize);
        return HeaderSize + plaintextLength + (chunks * TagSize);
    }

    /// <summary>
    /// Plaintext length of a stored body of <paramref name="bodyLength"/> bytes (everything after the header),
    /// or -1 when no valid object has that body length (a cut inside a tag).
    /// </summary>
    public static long GetPlaintextLength(long bodyLength, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        ValidateChunkSize(chunkSize);
        long record = (long)chunkSize + TagSize;
        if (bodyLength < TagSize)
        {
            return -1;
        }

        long chunks = (bodyLength + record - 1) / record;
        long last = bodyLength - ((chunks - 1) * record);
        return last < TagSize ? -1 : bodyLength - (chunks * TagSize);
    }

    /// <summary>Number of chunks for a plaintext: at least one (an empty plaintext is one empty final chunk).</summary>
    public static long GetChunkCount(long plaintextLength, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        return plaintextLength == 0 ? 1 : (plaintextLength + chunkSize - 1) / chunkSize;
    }

    /// <summary>Offset of chunk <paramref name="chunkIndex"/> within the body (after the header).</summary>
    public static long GetChunkBodyOffset(long chunkIndex, int chunkSize) => chunkIndex * ((long)chunkSize + TagSize);

    internal static void ValidateChunkSize(int chunkSize)
    {
        if (chunkSize is < MinChunkSize or > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize,
                $"Chunk size must be between {MinChunkSize} and {MaxChunkSize} bytes.");
        }
    }

    internal static void ChunkNonce(ReadOnlySpan<byte> prefix, long chunkIndex, Span<byte> nonce)
    {
        Debug.Assert(prefix.Length == NoncePrefixSize && nonce.Length == NonceSize);
        Debug.Assert(chunkIndex is >= 0 and < MaxChunkCount);
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[NoncePrefixSize..], (uint)chunkIndex);
    }

    internal static void ChunkAad(ReadOnlySpan<byte> headerHash, long chunkIndex, bool final, Span<byte> aad)
    {
        Debug.Assert(headerHash.Length == HeaderHashSize && aad.Length == ChunkAadSize);
        headerHash.CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad[HeaderHashSize..], (uint)chunkIndex);
        aad[HeaderHashSize + 4] = final ? (byte)1 : (byte)0;
    }
}
