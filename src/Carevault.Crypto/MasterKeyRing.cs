namespace Carevault.Crypto;

/// <summary>
/// The active master key (wraps new data keys) and older keys by id (still unwrap existing blobs until every
/// blob has been re-wrapped). Immutable: rotation returns a new ring.
/// </summary>
public sealed class MasterKeyRing
{
    private readonly Dictionary<string, MasterKey> _byId;

    /// <summary>A ring whose active key is <paramref name="active"/> and which can also unwrap with <paramref name="older"/>.</summary>
    public MasterKeyRing(MasterKey active, IEnumerable<MasterKey>? older = null)
    {
        ArgumentNullException.ThrowIfNull(active);
        Active = active;
        _byId = new Dictionary<string, MasterKey>(StringComparer.Ordinal) { [active.Id] = active };
        var keys = new List<MasterKey> { active };
        foreach (var key in older ?? [])
        {
            if (!_byId.TryAdd(key.Id, key))
            {
                throw new ArgumentException($"Master key id '{key.Id}' appears twice.", nameof(older));
            }

            keys.Add(key);
        }

        Keys = keys;
    }

    /// <summary>The key that wraps data keys of new blobs and of re-wrapped headers.</summary>
    public MasterKey Active { get; }

    /// <summary>All keys, the active one first.</summary>
    public IReadOnlyList<MasterKey> Keys { get; }

    public bool TryGetKey(string keyId, out MasterKey key)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return _byId.TryGetValue(keyId, out key!);
    }

    /// <summary>A ring with <paramref name="newActive"/> active and every current key kept as an older key.</summary>
    public MasterKeyRing Rotate(MasterKey newActive)
    {
        ArgumentNullException.ThrowIfNull(newActive);
        return new MasterKeyRing(newActive, Keys);
    }

    /// <summary>A ring without <paramref name="keyId"/> (after every blob wrapped by it was re-wrapped).</summary>
    public MasterKeyRing Without(string keyId)
    {
        if (string.Equals(keyId, Active.Id, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The active master key cannot be removed; rotate first.");
        }

        return new MasterKeyRing(Active, Keys.Where(k => !string.Equals(k.Id, keyId, StringComparison.Ordinal) && k != Active));
    }

    /// <summary>
    /// A ring from an environment-provided value: comma-separated entries, each <c>id:base64</c> or bare
    /// <c>base64</c> (id derived); the first entry is the active key.
    /// </summary>
    public static MasterKeyRing FromBase64(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var keys = new List<MasterKey>();
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = entry.IndexOf(':', StringComparison.Ordinal);
            keys.Add(colon < 0
                ? MasterKey.FromBase64(entry)
                : MasterKey.FromBase64(entry[(colon + 1)..], entry[..colon]));
        }

        if (keys.Count == 0)
        {
            throw new FormatException("No master key in the value.");
        }

        return new MasterKeyRing(keys[0], keys.Skip(1));
    }
}
