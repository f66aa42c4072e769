using System.Security.Cryptography;
using Carevault.Crypto;
using Carevault.Storage.Keys;
using Microsoft.Data.Sqlite;

namespace Carevault.Storage.Database;

/// <summary>
/// The embedded database's encryption key: 32 random bytes, sealed under the master key (the blob format of decision
/// 0004, so the master key's rotation re-wraps it like any sealed secret) in a file beside the database,
/// <c>{database}.key</c>, mode 0600. SQLCipher takes it as a raw key (no passphrase stretching on each connection).
/// A database written before encryption (a plaintext SQLite file) is converted once, in place. Decision 0019.
/// </summary>
public static class SqliteKeyFile
{
    const int KeySize = 32;
    static readonly byte[] PlaintextHeader = "SQLite format 3\0"u8.ToArray();

    public static string PathFor(string databasePath) => databasePath + ".key";

    /// <summary>
    /// The key for the database at <paramref name="databasePath"/>: loaded from its key file, or generated with a new
    /// key file when there is none. A plaintext database found there is then encrypted under that key.
    /// </summary>
    /// <exception cref="InvalidOperationException">An encrypted database whose key file is gone: nothing can open it.</exception>
    public static byte[] Prepare(string databasePath, MasterKeys masterKeys)
    {
        ArgumentNullException.ThrowIfNull(masterKeys);
        SqliteEngine.EnsureLoaded();
        var keyPath = PathFor(databasePath);
        byte[] key;
        if (File.Exists(keyPath))
        {
            key = masterKeys.UnsealAsync(File.ReadAllBytes(keyPath), CancellationToken.None).GetAwaiter().GetResult();
            if (key.Length != KeySize) throw new InvalidOperationException($"The database key file {keyPath} does not hold a {KeySize}-byte key.");
        }
        else
        {
            if (File.Exists(databasePath) && new FileInfo(databasePath).Length > 0 && !IsPlaintext(databasePath))
                throw new InvalidOperationException($"The database {databasePath} is encrypted and its key file {keyPath} is missing: restore the key file from the backup that holds the database.");
            key = RandomNumberGenerator.GetBytes(KeySize);
            var sealedKey = masterKeys.SealAsync(key, CancellationToken.None).GetAwaiter().GetResult();
            if (!WriteNew(keyPath, sealedKey)) return Prepare(databasePath, masterKeys); // another process won the race
        }

        if (File.Exists(databasePath) && IsPlaintext(databasePath)) Encrypt(databasePath, key);
        return key;
    }

    /// <summary>The value of the connection string's <c>Password</c>: SQLCipher's raw-key form <c>x'…'</c>.</summary>
    public static string RawKeyPassword(ReadOnlySpan<byte> key) => "x'" + Convert.ToHexString(key) + "'";

    static bool IsPlaintext(string databasePath)
    {
        Span<byte> header = stackalloc byte[16];
        using var file = File.OpenRead(databasePath);
        return file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length && header.SequenceEqual(PlaintextHeader);
    }

    /// <summary>Replaces the key file (a re-wrapped header) whole or not at all.</summary>
    internal static void Replace(string path, byte[] contents)
    {
        var temporary = WriteTemporary(path, contents);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes a new file (0600) whole or not at all; false when one appeared meanwhile.</summary>
    static bool WriteNew(string path, byte[] contents)
    {
        var temporary = WriteTemporary(path, contents);
        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }

    static string WriteTemporary(string path, byte[] contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temporary, options))
        {
            file.Write(contents);
            file.Flush(flushToDisk: true);
        }
        return temporary;
    }

    /// <summary>
    /// Encrypts a plaintext database in place: SQLCipher copies it page by page into an encrypted file
    /// (<c>sqlcipher_export</c>), which then replaces the original by rename; its WAL and shared-memory files go with it.
    /// The key file exists before this starts, so a crash at any point leaves either the plaintext database (converted
    /// on the next start) or the encrypted one.
    /// </summary>
    static void Encrypt(string databasePath, byte[] key)
    {
        var encrypted = databasePath + ".encrypting";
        File.Delete(encrypted);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // ATTACH takes no parameters for its key; the key is hex digits we produced, the path is quoted by SQLite.
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); SELECT quote($path);";
            command.Parameters.AddWithValue("$path", encrypted);
            string quotedPath;
            using (var reader = command.ExecuteReader())
            {
                reader.NextResult();
                reader.Read();
                quotedPath = reader.GetString(0);
            }
            command.Parameters.Clear();
            command.CommandText = $"ATTACH DATABASE {quotedPath} AS encrypted KEY \"{RawKeyPassword(key)}\"; SELECT sqlcipher_export('encrypted'); DETACH DATABASE encrypted;";
            command.ExecuteNonQuery();
        }
        using (var file = new FileStream(encrypted, FileMode.Open, FileAccess.ReadWrite)) file.Flush(flushToDisk: true);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(encrypted, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(encrypted, databasePath, overwrite: true);
        File.Delete(databasePath + "-wal");
        File.Delete(databasePath + "-shm");
    }
}
