using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Carevault.Crypto;

/// <summary>Why an encrypted blob could not be opened or read.</summary>
public enum BlobCryptoError
{
    /// <summary>The bytes do not start with the blob magic: not a Carevault encrypted blob.</summary>
    NotAnEncryptedBlob = 1,

    /// <summary>The format version or cipher suite is not one this library reads.</summary>
    UnsupportedVersion,

    /// <summary>A header field is out of range or a reserved byte is not zero.</summary>
    MalformedHeader,

    /// <summary>The header names a master key that the key ring does not hold.</summary>
    UnknownKeyId,

    /// <summary>The wrapped data key did not authenticate: wrong master key, or the header was altered.</summary>
    KeyUnwrapFailed,

    /// <summary>A chunk's tag did not verify: altered, reordered or duplicated chunk, or a foreign chunk.</summary>
    ChunkAuthenticationFailed,

    /// <summary>The stream ends before the chunk sealed as final: chunks were dropped or cut off.</summary>
    Truncated,

    /// <summary>Bytes follow the chunk sealed as final.</summary>
    TrailingData,
}

/// <summary>
/// An encrypted blob failed a format or authentication check. No plaintext from the failing chunk (or any later
/// chunk) has been released when this is thrown.
/// </summary>
public sealed class BlobCryptoException : CryptographicException
{
    public BlobCryptoException()
    {
    }

    public BlobCryptoException(string message)
        : base(message)
    {
    }

    public BlobCryptoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BlobCryptoException(BlobCryptoError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The failed check.</summary>
    public BlobCryptoError Error { get; }

    /// <summary>The chunk index that failed, when the failure concerns a chunk.</summary>
    public long? ChunkIndex { get; init; }

    [DoesNotReturn]
    internal static void Throw(BlobCryptoError error, string message, long? chunkIndex = null, Exception? inner = null) =>
        throw new BlobCryptoException(error, message, inner) { ChunkIndex = chunkIndex };
}
