namespace Carevault.Crypto;

/// <summary>Options for encrypting a blob.</summary>
public sealed record BlobEncryptionOptions
{
    /// <summary>Plaintext bytes per chunk, <see cref="BlobFormat.MinChunkSize"/>..<see cref="BlobFormat.MaxChunkSize"/>.</summary>
    public int ChunkSize { get; init; } = BlobFormat.DefaultChunkSize;

    /// <summary>
    /// When true the header is not written to the destination; keep <see cref="BlobEncryptionResult.Header"/>
    /// elsewhere (e.g. in the database) and pass it to <see cref="BlobDecryptionOptions.DetachedHeader"/>.
    /// </summary>
    public bool DetachedHeader { get; init; }

    /// <summary>Leave the destination open when the encrypting stream is disposed.</summary>
    public bool LeaveOpen { get; init; }
}

/// <summary>Options for decrypting a blob.</summary>
public sealed record BlobDecryptionOptions
{
    /// <summary>The 128-byte header when it is stored apart from the body; the source then holds chunks only.</summary>
    public ReadOnlyMemory<byte>? DetachedHeader { get; init; }

    /// <summary>Leave the source stream open when the decrypting stream is disposed.</summary>
    public bool LeaveOpen { get; init; }
}

/// <summary>What an encryption produced, known once the final chunk is written.</summary>
public sealed record BlobEncryptionResult
{
    /// <summary>Plaintext bytes encrypted.</summary>
    public required long PlaintextLength { get; init; }

    /// <summary>Bytes written to the destination (header included unless detached).</summary>
    public required long CiphertextLength { get; init; }

    /// <summary>SHA-256 of the plaintext (32 bytes), computed while streaming.</summary>
    public required ReadOnlyMemory<byte> PlaintextSha256 { get; init; }

    /// <summary>Id of the master key that wrapped the data key.</summary>
    public required string KeyId { get; init; }

    /// <summary>The 128-byte header (also written at the start of the destination unless detached).</summary>
    public required ReadOnlyMemory<byte> Header { get; init; }
}
