using System.Buffers;

namespace Carevault.Storage.Blobs;

/// <summary>Validates blob keys so that no key can climb out of the store's root or name a device.</summary>
public static class BlobKey
{
    static readonly SearchValues<char> Allowed = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/");

    public static void Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > 512 || key.AsSpan().ContainsAnyExcept(Allowed) || key.StartsWith('/') || key.EndsWith('/'))
            throw new ArgumentException("Blob keys are 1-512 characters of [A-Za-z0-9._-/], without a leading or trailing '/'.", nameof(key));
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
                throw new ArgumentException("Blob key segments must not be empty, '.' or '..'.", nameof(key));
        }
    }
}
