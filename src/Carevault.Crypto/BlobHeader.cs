using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Carevault.Crypto;

/// <summary>
/// The fixed-size (128-byte) header of an encrypted blob. Bytes 0..31 never change for the life of the object
/// and are bound into every chunk; bytes 32..127 hold the wrapped data key and are rewritten by
/// <see cref="Rewrap"/>, so a blob store can overwrite just the header when the master key rotates.
/// </summary>
public sealed class BlobHeader
{
    private readonly byte[] _bytes;
    private readonly byte[] _hash;

    private BlobHeader(byte[] bytes, string keyId)
    {
        _bytes = bytes;
        KeyId = keyId;
        _hash = SHA256.HashData(bytes.AsSpan(0, BlobFormat.FixedPartSize));
    }

    /// <summary>Plaintext bytes per chunk (the final chunk may be shorter).</summary>
    public int ChunkSize => BinaryPrimitives.ReadInt32BigEndian(_bytes.AsSpan(8));

    /// <summary>Id of the master key that wraps this object's data key.</summary>
    public string KeyId { get; }

    /// <summary>The 128 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    internal ReadOnlyMemory<byte> Memory => _bytes;

    internal ReadOnlySpan<byte> NoncePrefix => _bytes.AsSpan(12, BlobFormat.NoncePrefixSize);

    /// <summary>SHA-256 of the immutable part (bytes 0..31); bound into every chunk's and the wrap's AAD.</summary>
    internal ReadOnlySpan<byte> Hash => _hash;

    /// <summary>Reads a header. Checks layout only; the key wrap is verified when the data key is unwrapped.</summary>
    /// <exception cref="BlobCryptoException">Not a blob, unsupported version, or malformed header.</exception>
    public static BlobHeader Parse(ReadOnlySpan<byte> header)
    {
        if (header.Length < BlobFormat.HeaderSize)
        {
            if (header.Length < BlobFormat.Magic.Length || !header.StartsWith(BlobFormat.Magic))
            {
                BlobCryptoException.Throw(BlobCryptoError.NotAnEncryptedBlob, "The data is too short to be an encrypted blob.");
            }

            BlobCryptoException.Throw(BlobCryptoError.Truncated, "The encrypted blob ends inside its header.");
        }

        header = header[..BlobFormat.HeaderSize];
        if (!header.StartsWith(BlobFormat.Magic))
        {
            BlobCryptoException.Throw(BlobCryptoError.NotAnEncryptedBlob, "The data does not start with the encrypted blob magic.");
        }

        if (header[4] != BlobFormat.Version || header[5] != BlobFormat.Suite)
        {
            BlobCryptoException.Throw(BlobCryptoError.UnsupportedVersion,
                $"Encrypted blob format {header[4]}, suite {header[5]} is not supported.");
        }

        int chunkSize = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int keyIdLength = header[BlobFormat.KeyIdLengthOffset];
        if (BinaryPrimitives.ReadUInt16BigEndian(header[6..]) != BlobFormat.HeaderSize
            || chunkSize is < BlobFormat.MinChunkSize or > BlobFormat.MaxChunkSize
            || header[20..BlobFormat.FixedPartSize].ContainsAnyExcept((byte)0)
            || keyIdLength is 0 or > BlobFormat.MaxKeyIdLength
            || header[(BlobFormat.KeyIdOffset + keyIdLength)..BlobFormat.WrapNonceOffset].ContainsAnyExcept((byte)0)
            || header[BlobFormat.ReservedTailOffset..].ContainsAnyExcept((byte)0))
        {
            BlobCryptoException.Throw(BlobCryptoError.MalformedHeader, "The encrypted blob header is malformed.");
        }

        var keyIdBytes = header.Slice(BlobFormat.KeyIdOffset, keyIdLength);
        Span<char> keyIdChars = stackalloc char[BlobFormat.MaxKeyIdLength];
        int chars = Encoding.ASCII.GetChars(keyIdBytes, keyIdChars);
        if (!MasterKey.IsValidId(keyIdChars[..chars]))
        {
            BlobCryptoException.Throw(BlobCryptoError.MalformedHeader, "The encrypted blob header holds an invalid key id.");
        }

        return new BlobHeader(header.ToArray(), new string(keyIdChars[..chars]));
    }

    /// <summary>
    /// A header wrapped by <paramref name="keys"/>' active key for the same object (same body, same immutable
    /// bytes 0..31). Write <see cref="Bytes"/> over the first 128 bytes of the object; the body is untouched.
    /// </summary>
    /// <exception cref="BlobCryptoException">Unknown key id, or the current wrap does not authenticate.</exception>
    public BlobHeader Rewrap(MasterKeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Span<byte> dataKey = stackalloc byte[BlobFormat.DataKeySize];
        try
        {
            UnwrapDataKey(keys, dataKey);
            var bytes = new byte[BlobFormat.HeaderSize];
            _bytes.AsSpan(0, BlobFormat.FixedPartSize).CopyTo(bytes);
            return Wrap(bytes, keys.Active, dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>A new header for a fresh object: random nonce prefix, <paramref name="dataKey"/> wrapped by <paramref name="masterKey"/>.</summary>
    internal static BlobHeader Create(int chunkSize, MasterKey masterKey, ReadOnlySpan<byte> dataKey)
    {
        var bytes = new byte[BlobFormat.HeaderSize];
        BlobFormat.Magic.CopyTo(bytes);
        bytes[4] = BlobFormat.Version;
        bytes[5] = BlobFormat.Suite;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), BlobFormat.HeaderSize);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), chunkSize);
        RandomNumberGenerator.Fill(bytes.AsSpan(12, BlobFormat.NoncePrefixSize));
        return Wrap(bytes, masterKey, dataKey);
    }

    private static BlobHeader Wrap(byte[] bytes, MasterKey masterKey, ReadOnlySpan<byte> dataKey)
    {
        int idLength = MasterKey.EncodeId(masterKey.Id, bytes.AsSpan(BlobFormat.KeyIdOffset, BlobFormat.MaxKeyIdLength));
        bytes[BlobFormat.KeyIdLengthOffset] = (byte)idLength;
        var header = new BlobHeader(bytes, masterKey.Id);
        var nonce = bytes.AsSpan(BlobFormat.WrapNonceOffset, BlobFormat.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> aad = stackalloc byte[BlobFormat.HeaderHashSize + 1 + BlobFormat.MaxKeyIdLength];
        int aadLength = header.WrapAad(aad);
        using var aes = new AesGcm(masterKey.Material, BlobFormat.TagSize);
        aes.Encrypt(nonce, dataKey,
            bytes.AsSpan(BlobFormat.WrappedKeyOffset, BlobFormat.DataKeySize),
            bytes.AsSpan(BlobFormat.WrapTagOffset, BlobFormat.TagSize),
            aad[..aadLength]);
        return header;
    }

    /// <summary>Unwraps this object's data key into <paramref name="dataKey"/> (32 bytes).</summary>
    internal void UnwrapDataKey(MasterKeyRing keys, Span<byte> dataKey)
    {
        if (!keys.TryGetKey(KeyId, out var masterKey))
        {
            BlobCryptoException.Throw(BlobCryptoError.UnknownKeyId, $"The master key '{KeyId}' is not in the key ring.");
        }

        Span<byte> aad = stackalloc byte[BlobFormat.HeaderHashSize + 1 + BlobFormat.MaxKeyIdLength];
        int aadLength = WrapAad(aad);
        using var aes = new AesGcm(masterKey.Material, BlobFormat.TagSize);
        try
        {
            aes.Decrypt(
                _bytes.AsSpan(BlobFormat.WrapNonceOffset, BlobFormat.NonceSize),
                _bytes.AsSpan(BlobFormat.WrappedKeyOffset, BlobFormat.DataKeySize),
                _bytes.AsSpan(BlobFormat.WrapTagOffset, BlobFormat.TagSize),
                dataKey,
                aad[..aadLength]);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            BlobCryptoException.Throw(BlobCryptoError.KeyUnwrapFailed,
                $"The data key does not unwrap with master key '{KeyId}': wrong key, or the header was altered.", inner: ex);
        }
    }

    private int WrapAad(Span<byte> aad)
    {
        // Binding the immutable header hash ties the wrapped key to this object; the key id stops a wrap made
        // under one id from being presented under another.
        _hash.CopyTo(aad);
        int idLength = _bytes[BlobFormat.KeyIdLengthOffset];
        aad[BlobFormat.HeaderHashSize] = (byte)idLength;
        _bytes.AsSpan(BlobFormat.KeyIdOffset, idLength).CopyTo(aad[(BlobFormat.HeaderHashSize + 1)..]);
        return BlobFormat.HeaderHashSize + 1 + idLength;
    }
}
