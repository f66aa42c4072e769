namespace Carevault.Crypto;

/// <summary>One-call helpers over <see cref="EncryptingStream"/> and <see cref="DecryptingStream"/>.</summary>
public static class BlobCipher
{
    /// <summary>
    /// Encrypts <paramref name="plaintext"/> to <paramref name="destination"/> under a fresh data key wrapped by
    /// the ring's active key; returns the plaintext SHA-256 and length. The destination is left open.
    /// </summary>
    public static async Task<BlobEncryptionResult> EncryptAsync(
        Stream plaintext,
        Stream destination,
        MasterKeyRing keys,
        BlobEncryptionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        options = (options ?? new BlobEncryptionOptions()) with { LeaveOpen = true };
        await using var encryptor = new EncryptingStream(destination, keys, options);
        await plaintext.CopyToAsync(encryptor, options.ChunkSize, cancellationToken).ConfigureAwait(false);
        return await encryptor.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the header at the start of a seekable, writable <paramref name="blob"/> with one wrapped by the
    /// ring's active key. Only the 128 header bytes are rewritten; the body is not read.
    /// </summary>
    public static async Task<BlobHeader> RewrapInPlaceAsync(Stream blob, MasterKeyRing keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(keys);
        if (!blob.CanSeek || !blob.CanWrite)
        {
            throw new ArgumentException("Re-wrapping in place needs a seekable, writable stream.", nameof(blob));
        }

        long start = blob.Position;
        var bytes = new byte[BlobFormat.HeaderSize];
        await blob.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        var rewrapped = BlobHeader.Parse(bytes).Rewrap(keys);
        blob.Position = start;
        await blob.WriteAsync(rewrapped.Memory, cancellationToken).ConfigureAwait(false);
        await blob.FlushAsync(cancellationToken).ConfigureAwait(false);
        return rewrapped;
    }
}
