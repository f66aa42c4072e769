using System.Text;
using Carevault.Crypto;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace Carevault.Storage.Tests.Database;

/// <summary>
/// The embedded database is SQLCipher-encrypted under a key sealed by the master key (decision 0019): no row's text is
/// in any file of the data folder, another key reads nothing, an older plaintext file is converted in place, and the
/// master key's rotation re-wraps the key file while the database stays as it is.
/// </summary>
public sealed class EncryptedSqliteTests : IDisposable
{
    const string Name = "Huckleberry Finn";
    readonly string _directory = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    (StorageSettings Settings, MasterKeys Keys) Configure()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DataDirectory"] = _directory }).Build();
        var settings = StorageSettings.From(configuration);
        return (settings, MasterKeys.From(configuration, settings));
    }

    string DatabasePath => Path.Combine(_directory, "carevault.db");

    static async Task WriteNameAsync(Db db)
    {
        await db.ExecuteAsync("CREATE TABLE IF NOT EXISTS people (name TEXT); INSERT INTO people VALUES (@name)", new { name = Name }, default);
    }

    void AssertNoPlaintextInTheFolder()
    {
        var files = Directory.GetFiles(_directory, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("carevault.db", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(Encoding.Latin1.GetString(bytes).Contains("Huckleberry", StringComparison.OrdinalIgnoreCase), $"plaintext in {Path.GetFileName(file)}");
            Assert.False(bytes.AsSpan().StartsWith("SQLite format 3"u8), $"{Path.GetFileName(file)} is a plaintext SQLite file");
        }
    }

    [Fact]
    public async Task Open_WritesNoPlaintext_AndTheDatabaseReadsBackUnderItsKeyFile()
    {
        var (settings, keys) = Configure();
        await using (var db = Db.Open(settings, keys)) await WriteNameAsync(db);

        AssertNoPlaintextInTheFolder(); // the row is still in the WAL file here
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SqliteKeyFile.PathFor(DatabasePath)));
        Assert.StartsWith("4.", SqliteEngine.CipherVersion, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();

        var (_, reopenedKeys) = Configure();
        await using var reopened = Db.Open(settings, reopenedKeys);
        await using var connection = await reopened.OpenAsync(default);
        Assert.Equal(Name, await connection.ExecuteScalarAsync<string>("SELECT name FROM people"));
    }

    [Fact]
    public async Task Open_WithAnotherKey_ReadsNothing()
    {
        var (settings, keys) = Configure();
        await using (var db = Db.Open(settings, keys)) await WriteNameAsync(db);
        SqliteConnection.ClearAllPools();

        await using var wrong = new Db(DatabaseProvider.Sqlite, settings.Database.ConnectionString!, new byte[32]);
        var error = await Assert.ThrowsAsync<SqliteException>(async () => await wrong.OpenAsync(default));
        Assert.Equal(26, error.SqliteErrorCode); // SQLITE_NOTADB: "file is not a database"
    }

    [Fact]
    public async Task Open_APlaintextDatabase_EncryptsItInPlace_KeepingItsRows()
    {
        SqliteEngine.EnsureLoaded();
        Directory.CreateDirectory(_directory);
        await using (var plain = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await plain.OpenAsync();
            await plain.ExecuteAsync("PRAGMA journal_mode=WAL; CREATE TABLE people (name TEXT); INSERT INTO people VALUES (@name)", new { name = Name });
        }
        Assert.True(File.ReadAllBytes(DatabasePath).AsSpan().StartsWith("SQLite format 3"u8));

        var (settings, keys) = Configure();
        await using var db = Db.Open(settings, keys);
        await using var connection = await db.OpenAsync(default);

        Assert.Equal(Name, await connection.ExecuteScalarAsync<string>("SELECT name FROM people"));
        Assert.Equal("ok", await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabasePath));
        Assert.False(File.Exists(DatabasePath + ".encrypting"));
        AssertNoPlaintextInTheFolder();
    }

    [Fact]
    public async Task Open_AnEncryptedDatabaseWithoutItsKeyFile_RefusesAndNamesTheKeyFile()
    {
        var (settings, keys) = Configure();
        await using (var db = Db.Open(settings, keys)) await WriteNameAsync(db);
        SqliteConnection.ClearAllPools();
        File.Delete(SqliteKeyFile.PathFor(DatabasePath));

        var error = Assert.Throws<InvalidOperationException>(() => Db.Open(settings, keys));
        Assert.Contains(SqliteKeyFile.PathFor(DatabasePath), error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(SqliteKeyFile.PathFor(DatabasePath))); // no new key that would hide the lost one
    }

    [Fact]
    public async Task Rewrap_PutsTheKeyFileUnderTheNewMasterKey_AndTheDatabaseOpensWithThatKeyAlone()
    {
        var (settings, keys) = Configure();
        await using (var db = Db.Open(settings, keys)) await WriteNameAsync(db);
        SqliteConnection.ClearAllPools();
        var databaseBefore = File.ReadAllBytes(DatabasePath);
        var rotated = keys.Ring.Rotate(MasterKey.Generate("mk-next"));
        var rewrapper = new SqliteKeyFileRewrapper(settings);

        var first = await rewrapper.RewrapAsync(rotated, default);
        var second = await rewrapper.RewrapAsync(rotated, default);

        Assert.Equal(new RewrapCount(1, 1, 0), first);
        Assert.Equal(new RewrapCount(1, 0, 0), second);
        Assert.Equal(databaseBefore, File.ReadAllBytes(DatabasePath));
        var onlyNewKey = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DataDirectory"] = _directory,
            ["Secrets:MasterKey"] = "mk-next:" + rotated.Active.ExportBase64(),
        }).Build();
        await using var reopened = Db.Open(settings, MasterKeys.From(onlyNewKey, settings));
        await using var connection = await reopened.OpenAsync(default);
        Assert.Equal(Name, await connection.ExecuteScalarAsync<string>("SELECT name FROM people"));
    }
}
