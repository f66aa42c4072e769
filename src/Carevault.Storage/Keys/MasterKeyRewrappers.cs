using Carevault.Crypto;
using Carevault.Storage.Blobs;
using Carevault.Storage.Database;
using Dapper;

namespace Carevault.Storage.Keys;

/// <summary>
/// Something sealed under a master key that <see cref="MasterKeyRotation"/> must re-wrap before an old key can be
/// retired. Each module registers one per table it seals into (a line of wiring in its module class).
/// </summary>
public interface IMasterKeyRewrapper
{
    /// <summary>What it re-wraps, for the operator's output (e.g. <c>ingestion_jobs originals</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Re-wraps every item not yet wrapped by <paramref name="ring"/>'s active key (unwrapping with whichever ring key
    /// wrapped it) and records the new key id. Idempotent: a second run after a crash re-wraps only what is left.
    /// </summary>
    /// <exception cref="BlobCryptoException">An item's key is not in the ring (the old key is already gone).</exception>
    Task<RewrapCount> RewrapAsync(MasterKeyRing ring, CancellationToken ct);
}

/// <summary>Items one <see cref="IMasterKeyRewrapper"/> pass looked at, re-wrapped, and found without a stored object.</summary>
public readonly record struct RewrapCount(int Examined, int Rewrapped, int Missing)
{
    public static RewrapCount operator +(RewrapCount a, RewrapCount b) => new(a.Examined + b.Examined, a.Rewrapped + b.Rewrapped, a.Missing + b.Missing);
}

/// <summary>
/// Encrypted blobs named by a table's rows: each row holds the blob key and the id of the master key that wraps its
/// data key. Only the 128-byte blob header is rewritten (<see cref="EncryptedBlobStore.RewrapAsync"/>); the row's key
/// id is updated after the header, so a crash in between leaves a row that the next run re-checks and fixes (its
/// header is then already under the active key and is not rewritten again).
/// </summary>
/// <param name="table">Table and column names are constants from the registering module, never input.</param>
public sealed class BlobTableRewrapper(Db db, EncryptedBlobStore blobs, string table, string idColumn, string blobKeyColumn, string keyIdColumn) : IMasterKeyRewrapper
{
    const int PageSize = 200;

    public string Name => $"{table} blobs";

    public async Task<RewrapCount> RewrapAsync(MasterKeyRing ring, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var count = new RewrapCount();
        string after = "";
        while (true)
        {
            List<BlobRow> page;
            await using (var connection = await db.OpenAsync(ct))
            {
                page = [.. await connection.QueryAsync<BlobRow>(new CommandDefinition(
                    $"SELECT {idColumn} AS Id, {blobKeyColumn} AS BlobKey FROM {table} WHERE {keyIdColumn} <> @active AND {idColumn} > @after ORDER BY {idColumn} LIMIT {PageSize}",
                    new { active = ring.Active.Id, after }, cancellationToken: ct))];
            }
            if (page.Count == 0) return count;

            foreach (var row in page)
            {
                ct.ThrowIfCancellationRequested();
                var result = await blobs.RewrapAsync(row.BlobKey, ring, ct);
                // A row whose blob is gone has nothing wrapped by any key: it no longer holds the old key back.
                await db.ExecuteAsync($"UPDATE {table} SET {keyIdColumn} = @keyId WHERE {idColumn} = @id",
                    new { keyId = result?.KeyId ?? ring.Active.Id, id = row.Id }, ct);
                count += new RewrapCount(1, result is { Rewritten: true } ? 1 : 0, result is null ? 1 : 0);
                after = row.Id;
            }
        }
    }

    sealed record BlobRow(string Id, string BlobKey);
}

/// <summary>
/// Small secrets sealed into a database column by <see cref="MasterKeys.SealAsync"/> (a blob in the 0004 format:
/// header, then chunks). Only the header's key-wrap bytes change; the update compares the old value, so a writer that
/// replaced the value meanwhile wins and its value (sealed under the then-active key) is checked again next pass.
/// </summary>
/// <param name="table">Table and column names are constants from the registering module, never input.</param>
public sealed class SealedColumnRewrapper(Db db, string table, string idColumn, string column) : IMasterKeyRewrapper
{
    const int PageSize = 500;

    public string Name => $"{table}.{column}";

    public async Task<RewrapCount> RewrapAsync(MasterKeyRing ring, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var count = new RewrapCount();
        string after = "";
        while (true)
        {
            List<SealedRow> page;
            await using (var connection = await db.OpenAsync(ct))
            {
                page = [.. await connection.QueryAsync<SealedRow>(new CommandDefinition(
                    $"SELECT {idColumn} AS Id, {column} AS Value FROM {table} WHERE {column} IS NOT NULL AND {idColumn} > @after ORDER BY {idColumn} LIMIT {PageSize}",
                    new { after }, cancellationToken: ct))];
            }
            if (page.Count == 0) return count;

            foreach (var row in page)
            {
                after = row.Id;
                // Emptied values (a sent e-mail's body) hold nothing sealed.
                if (row.Value.Length < BlobFormat.HeaderSize || !row.Value.AsSpan().StartsWith("CVEB"u8)) continue;
                var header = BlobHeader.Parse(row.Value.AsSpan(0, BlobFormat.HeaderSize));
                count += new RewrapCount(1, 0, 0);
                if (string.Equals(header.KeyId, ring.Active.Id, StringComparison.Ordinal)) continue;

                var rewrapped = new byte[row.Value.Length];
                header.Rewrap(ring).Bytes.CopyTo(rewrapped);
                row.Value.AsSpan(BlobFormat.HeaderSize).CopyTo(rewrapped.AsSpan(BlobFormat.HeaderSize));
                var changed = await db.ExecuteAsync($"UPDATE {table} SET {column} = @rewrapped WHERE {idColumn} = @id AND {column} = @old",
                    new { rewrapped, id = row.Id, old = row.Value }, ct);
                if (changed == 1) count += new RewrapCount(0, 1, 0);
            }
        }
    }

    sealed record SealedRow(string Id, byte[] Value);
}
