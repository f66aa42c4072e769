using Carevault.Crypto;
using Carevault.Storage;
using Microsoft.Extensions.Configuration;

namespace Carevault.Audit.Trail;

/// <summary>One audit chain key: its id (stored in every record it hashed) and the HMAC-SHA256 key. A secret.</summary>
public sealed class AuditKey
{
    /// <summary>The HKDF purpose under which the chain key is derived from a key of the audit key ring.</summary>
    public const string Purpose = "carevault/audit-chain/v1";

    internal AuditKey(string id, byte[] hmacKey)
    {
        Id = id;
        HmacKey = hmacKey;
    }

    public string Id { get; }

    internal byte[] HmacKey { get; }

    public static AuditKey From(MasterKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new AuditKey(key.Id, key.DeriveKey(Purpose));
    }
}

/// <summary>
/// The keys of the audit chain (decision 0017), held outside the database so that write access to the database is
/// not enough to re-hash an edited chain. From <c>Secrets:AuditKey</c> (environment <c>CAREVAULT_SECRETS__AUDITKEY</c>,
/// <c>id:base64,…</c>, active first), else the key file <c>Secrets:AuditKeyFile</c> (default
/// <c>{DataDirectory}/audit.key</c>, the master key file's format, mode 0600 or refused). When neither exists and
/// <c>Secrets:GenerateMasterKey</c> is true (the default, for a laptop's first start) a key file is generated.
/// New records are hashed with the active key; older keys stay to verify the records they hashed (rotation).
/// </summary>
public sealed class AuditKeys
{
    readonly Dictionary<string, AuditKey> _byId;

    public AuditKeys(MasterKeyRing ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        _byId = ring.Keys.Select(AuditKey.From).ToDictionary(k => k.Id, StringComparer.Ordinal);
        Active = _byId[ring.Active.Id];
    }

    /// <summary>The key new records are hashed with.</summary>
    public AuditKey Active { get; }

    public bool TryGet(string id, out AuditKey key) => _byId.TryGetValue(id, out key!);

    public static AuditKeys From(IConfiguration configuration, StorageSettings storage)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(storage);
        if (configuration["Secrets:AuditKey"] is { Length: > 0 } inline) return new AuditKeys(MasterKeyRing.FromBase64(inline));
        var path = configuration["Secrets:AuditKeyFile"] is { Length: > 0 } configured ? configured : Path.Combine(storage.DataDirectory, "audit.key");
        if (File.Exists(path)) return new AuditKeys(MasterKeyFile.Load(path));
        if (!configuration.GetValue("Secrets:GenerateMasterKey", true))
            throw new InvalidOperationException($"No audit key: set Secrets:AuditKey or create the key file {path}.");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            return new AuditKeys(MasterKeyFile.GenerateAndActivate(path));
        }
        catch (IOException) when (File.Exists(path))
        {
            return new AuditKeys(MasterKeyFile.Load(path)); // another process won the race
        }
    }
}
