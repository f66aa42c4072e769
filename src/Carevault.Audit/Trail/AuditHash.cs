using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Carevault.Audit.Trail;

/// <summary>
/// The hash that chains a record to the one before it, over a canonical encoding of every field. Each field is
/// written as a 4-byte big-endian length and its UTF-8 bytes, in a fixed order and behind a version tag, so no two
/// different records encode alike (no separator can be smuggled into a value) and the order of fields is fixed.
/// Keyed records (decision 0017) are HMAC-SHA256 under an audit key (tag v2, the key id encoded too), stored as
/// <c>hmac-sha256:{keyId}:{hex}</c>; unkeyed records, written before keyed hashing began, are plain SHA-256 (tag v1).
/// </summary>
public static class AuditHash
{
    /// <summary>The previous hash of a tenant's first record.</summary>
    public static readonly string Genesis = new('0', 64);

    const string Version = "carevault-audit-v1";
    const string KeyedVersion = "carevault-audit-v2";

    /// <summary>A keyed hash is stored as <c>hmac-sha256:{keyId}:{64 hex}</c>, so every record names its key.</summary>
    const string KeyedPrefix = "hmac-sha256:";

    /// <summary>The unkeyed (SHA-256) hash of records written before keyed hashing began.</summary>
    public static string Compute(AuditRecord record, long seq, string prevHash) => Compute(record, seq, prevHash, key: null);

    /// <summary>The record's hash: HMAC-SHA256 under <paramref name="key"/>, or plain SHA-256 when it is null (legacy).</summary>
    public static string Compute(AuditRecord record, long seq, string prevHash, AuditKey? key)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var buffer = new MemoryStream(512);
        Write(buffer, key is null ? Version : KeyedVersion);
        if (key is not null) Write(buffer, key.Id);
        Write(buffer, record.TenantId);
        Write(buffer, seq.ToString(CultureInfo.InvariantCulture));
        Write(buffer, prevHash);
        Write(buffer, record.RecordedAt.ToString(CultureInfo.InvariantCulture));
        Write(buffer, record.Action);
        Write(buffer, record.Status.ToString(CultureInfo.InvariantCulture));
        Write(buffer, record.Outcome);
        Write(buffer, record.ActorKind);
        Write(buffer, record.ActorId);
        Write(buffer, record.ActorRole);
        Write(buffer, record.SourceIp);
        Write(buffer, record.UserAgent);
        Write(buffer, record.Entities.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var entity in record.Entities) Write(buffer, entity);
        Write(buffer, record.Query);
        Write(buffer, record.Detail);
        var digest = Digest(buffer, key);
        return key is null ? digest : KeyedPrefix + key.Id + ":" + digest;
    }

    /// <summary>The key id a stored hash names (<c>hmac-sha256:{keyId}:{hex}</c>); null for an unkeyed (SHA-256) hash.</summary>
    public static string? KeyIdOf(string hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (!hash.StartsWith(KeyedPrefix, StringComparison.Ordinal)) return null;
        var end = hash.IndexOf(':', KeyedPrefix.Length);
        return end > KeyedPrefix.Length ? hash[KeyedPrefix.Length..end] : null;
    }

    static string Digest(MemoryStream buffer, AuditKey? key)
    {
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        return Convert.ToHexStringLower(key is null ? SHA256.HashData(bytes) : HMACSHA256.HashData(key.HmacKey, bytes));
    }

    /// <summary>Compares two hex hashes in constant time.</summary>
    public static bool Matches(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));

    static void Write(MemoryStream buffer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
