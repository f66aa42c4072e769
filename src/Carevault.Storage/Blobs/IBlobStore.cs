namespace Carevault.Storage.Blobs;

/// <summary>
/// Object storage for opaque, already-encrypted bytes (originals, exports). Keys are relative, '/'-separated,
/// made of [A-Za-z0-9._-] segments. Implementations: a local folder (embedded default) and S3-compatible storage.
/// Encryption sits above this interface (<see cref="EncryptedBlobStore"/>); see docs/decisions/0005-blob-stores.md.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Stores <paramref name="content"/> (read to its end) under <paramref name="key"/>, replacing any blob there;
    /// visible to readers only once complete. When the source fails or <paramref name="ct"/> is cancelled, nothing is
    /// left under the key (a previous blob stays as it was).
    /// </summary>
    Task WriteAsync(string key, Stream content, CancellationToken ct);

    /// <summary>
    /// Opens a stored blob for reading, or returns null when there is none. The stream is seekable and knows its
    /// <see cref="Stream.Length"/>; a seek costs no read of the skipped bytes (S3: a ranged GET on the next read).
    /// </summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Removes a blob; removing a missing blob is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct);

    /// <summary>
    /// Replaces the first <c>prefix.Length</c> bytes of an existing blob, leaving the rest as it is; returns false
    /// when there is no blob. Used to re-wrap an encrypted blob's 128-byte header on master key rotation. The folder
    /// store overwrites in place; S3 replaces the object (copying the body server-side where the server can).
    /// </summary>
    Task<bool> ReplacePrefixAsync(string key, ReadOnlyMemory<byte> prefix, CancellationToken ct);

    /// <summary>Writes, reads back and deletes a probe object; throws when the store cannot take writes.</summary>
    Task CheckWritableAsync(CancellationToken ct);
}
