using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;

namespace Carevault.Storage.Tests.Database;

public sealed class DbTests
{
    [Theory]
    [InlineData(SqliteSynchronous.Full, 2)]
    [InlineData(SqliteSynchronous.Normal, 1)]
    public async Task Open_Sqlite_UsesWalAndTheConfiguredSynchronousLevel(SqliteSynchronous synchronous, long expected)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var db = new Db(DatabaseProvider.Sqlite, database.ConnectionString, new byte[32], synchronous);

        await using var connection = await db.OpenAsync(default);

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(expected, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
    }

    [Fact]
    public async Task Open_Sqlite_CreatesTheDatabaseFileReadableByOwnerOnly()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var path = Path.Combine(database.Directory, "nested", "carevault.db");
        await using var db = new Db(DatabaseProvider.Sqlite, $"Data Source={path}", new byte[32]);

        await using var connection = await db.OpenAsync(default);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
    }
}
