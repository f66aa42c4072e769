using Carevault.Crypto;

namespace Carevault.Storage.Blobs;

/// <summary>
/// Encrypts blobs on their way into any <see cref="IBlobStore"/> and decrypts them on the way out, in the format
/// of docs/decisions/0004-blob-encryption-format.md (header inline at the start of every stored object).
/// <para>
/// Structural considerations (docs/decisions/0005-blob-stores.md): writes stream — the store pulls ciphertext
/// while the plaintext is read, hashed and encrypted a chunk at a time, so memory stays flat and a failed or
/// cancelled source leaves nothing under the key (the store's own guarantee, since the final chunk is never
/// sealed). Reads release only verified chunks; a range costs the chunks it touches. Rotation re-wraps the
/// 128-byte header through <see cref="IBlobStore.ReplacePrefixAsync"/>; the body is never decrypted.
/// </para>
/// </summary>
public sealed class EncryptedBlobStore
{
    readonly IBlobStore _inner;
    readonly Func<MasterKeyRing> _keys;
    readonly BlobEncryptionOptions _options;

    /// <param name="inner">Where the ciphertext goes.</param>
    /// <param name="keys">Its active key wraps the data keys of new blobs; all its keys unwrap existing ones.</param>
    /// <param name="options">Chunk size; the header is always stored inline.</param>
    public EncryptedBlobStore(IBlobStore inner, MasterKeyRing keys, BlobEncryptionOptions? options = null)
        : this(inner, Fixed(keys), options)
    {
    }

    /// <param name="inner">Where the ciphertext goes.</param>
    /// <param name="keys">The current ring, asked at each write and read (it changes when the master key rotates).</param>
    /// <param name="options">Chunk size; the header is always stored inline.</param>
    public EncryptedBlobStore(IBlobStore inner, Func<MasterKeyRing> keys, BlobEncryptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(keys);
        if (options?.DetachedHeader == true)
            throw new ArgumentException("The encrypted blob store keeps the header inline.", nameof(options));
        _inner = inner;
        _keys = keys;
        _options = options ?? new BlobEncryptionOptions();
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> (read to its end) under a fresh data key and stores it under
    /// <paramref name="key"/>. If the source fails or <paramref name="ct"/> is cancelled, nothing is stored.
    /// </summary>
    public async Task<EncryptedBlobWriteResult> WriteAsync(string key, Stream plaintext, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        BlobKey.Validate(key);
        BlobEncryptionResult result;
        var keys = _keys();
        await using (var ciphertext = new EncryptingReadStream(plaintext, keys, _options))
        {
            await _inner.WriteAsync(key, ciphertext, ct);
            if (ciphertext.Result is null)
            {
                // A store that stopped reading early has stored an unsealed (truncated) object: remove it.
                await _inner.DeleteAsync(key, CancellationToken.None);
                throw new InvalidOperationException("The blob store finished the write before the end of the content.");
            }
            result = ciphertext.Result;
        }

        // The master key rotated while this blob was written: re-wrap it now, while this store still holds the key
        // it was written under, so the rotation never has to wait for uploads that started before it.
        var current = _keys();
        if (!string.Equals(result.KeyId, current.Active.Id, StringComparison.Ordinal) && !ReferenceEquals(current, keys))
        {
            var both = new MasterKeyRing(current.Active, keys.Keys.Concat(current.Keys).Where(k => k.Id != current.Active.Id).DistinctBy(k => k.Id));
            if (await RewrapAsync(key, both, ct) is { } rewrapped) result = result with { KeyId = rewrapped.KeyId };
        }

        return new EncryptedBlobWriteResult
        {
            Key = key,
            PlaintextLength = result.PlaintextLength,
            PlaintextSha256 = result.PlaintextSha256,
            MasterKeyId = result.KeyId,
            StoredLength = result.CiphertextLength,
        };
    }

    /// <summary>
    /// Opens the plaintext of a blob, or returns null when there is none. The stream is seekable and its
    /// <see cref="Stream.Length"/> is the plaintext length, so ASP.NET Core can serve HTTP Range requests from it
    /// directly. Each chunk is released only after it verifies; a failure throws <see cref="BlobCryptoException"/>.
    /// </summary>
    /// <exception cref="BlobCryptoException">The header is not a blob's, or no key in the ring unwraps it.</exception>
    public async Task<DecryptingStream?> OpenReadAsync(string key, CancellationToken ct)
    {
        var stored = await _inner.OpenReadAsync(key, ct);
        if (stored is null) return null;
        return await DecryptingStream.OpenAsync(stored, _keys(), cancellationToken: ct);
    }

    /// <summary>
    /// Opens <paramref name="length"/> plaintext bytes from <paramref name="offset"/> (an HTTP Range), or returns
    /// null when there is no blob. Only the chunks covering the range are fetched and verified.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the plaintext.</exception>
    public async Task<Stream?> OpenRangeAsync(string key, long offset, long length, CancellationToken ct)
    {
        var plaintext = await OpenReadAsync(key, ct);
        if (plaintext is null) return null;
        try
        {
            long total = plaintext.Length;
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            if (offset > total - length)
                throw new ArgumentOutOfRangeException(nameof(length), "The range ends after the end of the blob.");
            plaintext.Seek(offset, SeekOrigin.Begin);
            return new RangeReadStream(plaintext, length);
        }
        catch
        {
            await plaintext.DisposeAsync();
            throw;
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct) => _inner.DeleteAsync(key, ct);

    static Func<MasterKeyRing> Fixed(MasterKeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return () => keys;
    }

    public Task CheckWritableAsync(CancellationToken ct) => _inner.CheckWritableAsync(ct);

    /// <summary>
    /// Re-wraps the blob's data key with <paramref name="keys"/>' active master key (unwrapping it with whichever
    /// key of the ring wrapped it), rewriting the 128-byte header only. Returns null when there is no blob; a blob
    /// already wrapped by the active key is left as it is.
    /// </summary>
    /// <exception cref="BlobCryptoException">Not an encrypted blob, or the ring cannot unwrap its data key.</exception>
    public async Task<BlobRewrapResult?> RewrapAsync(string key, MasterKeyRing keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        BlobHeader header;
        var stored = await _inner.OpenReadAsync(key, ct);
        if (stored is null) return null;
        await using (stored)
        {
            var bytes = new byte[BlobFormat.HeaderSize];
            int n = await stored.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, ct);
            header = BlobHeader.Parse(bytes.AsSpan(0, n));
        }

        if (string.Equals(header.KeyId, keys.Active.Id, StringComparison.Ordinal))
            return new BlobRewrapResult { Key = key, PreviousKeyId = header.KeyId, KeyId = header.KeyId, Rewritten = false };

        var rewrapped = header.Rewrap(keys);
        if (!await _inner.ReplacePrefixAsync(key, rewrapped.Bytes.ToArray(), ct)) return null;
        return new BlobRewrapResult { Key = key, PreviousKeyId = header.KeyId, KeyId = rewrapped.KeyId, Rewritten = true };
    }
}

/// <summary>What <see cref="EncryptedBlobStore.WriteAsync"/> stored; keep it in the blob's database row.</summary>
public sealed record EncryptedBlobWriteResult
{
    public required string Key { get; init; }

    /// <summary>Plaintext bytes, as read from the source.</summary>
    public required long PlaintextLength { get; init; }

    /// <summary>SHA-256 of the plaintext (32 bytes), computed while streaming.</summary>
    public required ReadOnlyMemory<byte> PlaintextSha256 { get; init; }

    /// <summary>Id of the master key that wrapped the data key (what a rotation job looks for).</summary>
    public required string MasterKeyId { get; init; }

    /// <summary>Bytes stored, header and chunk tags included.</summary>
    public required long StoredLength { get; init; }
}

/// <summary>What <see cref="EncryptedBlobStore.RewrapAsync"/> did.</summary>
public sealed record BlobRewrapResult
{
    public required string Key { get; init; }
    public required string PreviousKeyId { get; init; }
    public required string KeyId { get; init; }

    /// <summary>False when the blob was already wrapped by the active key.</summary>
    public required bool Rewritten { get; init; }
}
