namespace Carevault.Storage.Blobs;

/// <summary>
/// Object storage for opaque, already-encrypted bytes (originals, exports). Keys are relative, '/'-separated,
/// made of [A-Za-z0-9._-] segments. Implementations: a local folder (embedded default) and S3-compatible storage.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>; visible to readers only once complete.</summary>
    Task WriteAsync(string key, Stream content, CancellationToken ct);

    /// <summary>Opens a stored blob for reading, or returns null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken ct);

    Task DeleteAsync(string key, CancellationToken ct);

    /// <summary>Writes, reads back and deletes a probe object; throws when the store cannot take writes.</summary>
    Task CheckWritableAsync(CancellationToken ct);
}
