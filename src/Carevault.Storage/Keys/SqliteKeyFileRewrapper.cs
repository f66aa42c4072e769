using Carevault.Crypto;
using Carevault.Storage.Database;

namespace Carevault.Storage.Keys;

/// <summary>
/// The embedded database's key file (<see cref="SqliteKeyFile"/>): its header is re-wrapped under the active master key
/// and the file replaced by rename; the database key itself, and so the database, is unchanged.
/// </summary>
public sealed class SqliteKeyFileRewrapper(StorageSettings settings) : IMasterKeyRewrapper
{
    public string Name => "database key file";

    public Task<RewrapCount> RewrapAsync(MasterKeyRing ring, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (settings.Database.Provider != DatabaseProvider.Sqlite || Db.SqliteFilePath(settings.Database.ConnectionString!) is not { } databasePath)
            return Task.FromResult(new RewrapCount());
        var path = SqliteKeyFile.PathFor(databasePath);
        if (!File.Exists(path)) return Task.FromResult(new RewrapCount());

        var sealedKey = File.ReadAllBytes(path);
        var header = BlobHeader.Parse(sealedKey.AsSpan(0, BlobFormat.HeaderSize));
        if (string.Equals(header.KeyId, ring.Active.Id, StringComparison.Ordinal)) return Task.FromResult(new RewrapCount(1, 0, 0));

        header.Rewrap(ring).Bytes.CopyTo(sealedKey);
        SqliteKeyFile.Replace(path, sealedKey);
        return Task.FromResult(new RewrapCount(1, 1, 0));
    }
}
