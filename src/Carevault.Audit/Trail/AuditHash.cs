using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Carevault.Audit.Trail;

/// <summary>
/// The hash that chains a record to the one before it: SHA-256 over a canonical encoding of every field. Each field is
/// written as a 4-byte big-endian length and its UTF-8 bytes, in a fixed order and behind a version tag, so no two
/// different records encode alike (no separator can be smuggled into a value) and the order of fields is fixed.
/// </summary>
public static class AuditHash
{
    /// <summary>The previous hash of a tenant's first record.</summary>
    public static readonly string Genesis = new('0', 64);

    const string Version = "carevault-audit-v1";

    public static string Compute(AuditRecord record, long seq, string prevHash)
    {
        using var buffer = new MemoryStream(512);
        Write(buffer, Version);
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
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    static void Write(MemoryStream buffer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
