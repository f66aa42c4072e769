using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Carevault.Storage.Keys;
using Npgsql;

namespace Carevault.Storage.Database;

/// <summary>
/// The one door to the relational database: opens connections configured for the chosen engine.
/// Hot paths use ADO.NET/Dapper with parameters on these connections; see docs/decisions/0002-data-access-and-migrations.md.
/// </summary>
public sealed class Db : IAsyncDisposable
{
    readonly NpgsqlDataSource? _postgres;
    readonly string? _sqliteConnectionString;
    readonly string _sqlitePragmas;
    readonly string _sqliteWriterPragmas;
    readonly GroupCommit? _groupCommit;

    /// <summary>SQLite transactions committed by the group writer (tests observe batching through it).</summary>
    internal long GroupCommits;
    int _open;

    /// <param name="sqliteKey">
    /// The SQLite database's encryption key (<see cref="SqliteKeyFile"/>); null only for an in-memory database.
    /// </param>
    public Db(DatabaseProvider provider, string connectionString, byte[]? sqliteKey, SqliteSynchronous synchronous = SqliteSynchronous.Full, int busyTimeoutMs = 10_000)
    {
        Provider = provider;
        if (provider == DatabaseProvider.Postgres)
        {
            // A name of our own: Npgsql tags its pool metrics with it (instead of the connection string), and /metrics
            // picks this pool's series by it.
            PoolName = "carevault-" + Guid.NewGuid().ToString("N")[..12];
            _postgres = new NpgsqlDataSourceBuilder(connectionString) { Name = PoolName }.Build();
            _sqlitePragmas = _sqliteWriterPragmas = "";
        }
        else
        {
            var builder = new SqliteConnectionStringBuilder(connectionString)
            {
                // Pooling keeps the pragmas below per physical connection; Shared cache is off (WAL does better).
                Pooling = true,
                DefaultTimeout = Math.Max(1, busyTimeoutMs / 1000),
            };
            var path = SqliteFilePath(connectionString);
            if (path is not null && sqliteKey is null)
                throw new ArgumentException("A SQLite database file is always encrypted: pass its key (SqliteKeyFile.Prepare).", nameof(sqliteKey));
            // The raw key is given once per physical connection (pooled connections keep it).
            if (sqliteKey is not null) builder.Password = SqliteKeyFile.RawKeyPassword(sqliteKey);
            _sqliteConnectionString = builder.ToString();
            SqliteEngine.EnsureLoaded();
            if (path is not null) CreateOwnerOnlyFile(path);
            var sync = synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL";
            var common = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={busyTimeoutMs};";
            // Every write goes through the group writer (WriteAsync): a connection opened for reading refuses writes,
            // so a write that bypasses the writer fails at once instead of starving behind it (see decision 0003).
            _sqlitePragmas = common + " PRAGMA query_only=1;";
            _sqliteWriterPragmas = common + " PRAGMA query_only=0;";
            _groupCommit = new GroupCommit(this);
        }
    }

    /// <summary>
    /// The database the settings name: PostgreSQL, or the embedded SQLite file encrypted under its key file (created,
    /// or an older plaintext file converted, on first use).
    /// </summary>
    public static Db Open(StorageSettings settings, MasterKeys masterKeys)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var database = settings.Database;
        byte[]? key = null;
        if (database.Provider == DatabaseProvider.Sqlite && SqliteFilePath(database.ConnectionString!) is { } path)
            key = SqliteKeyFile.Prepare(path, masterKeys);
        return new Db(database.Provider, database.ConnectionString!, key, database.SqliteSynchronous, database.SqliteBusyTimeoutMs);
    }

    /// <summary>The full path of a SQLite connection string's database file; null for an in-memory database.</summary>
    public static string? SqliteFilePath(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory) return null;
        return System.IO.Path.GetFullPath(builder.DataSource);
    }

    public DatabaseProvider Provider { get; }

    /// <summary>The Npgsql data source's name (its pool metrics carry it as <c>db.client.connection.pool.name</c>); null on SQLite.</summary>
    public string? PoolName { get; }

    /// <summary>Connections opened through this class and not yet closed (handed out, not back in the pool): pool use.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    public SqlDialect Dialect => Provider == DatabaseProvider.Postgres ? SqlDialect.Postgres : SqlDialect.Sqlite;

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and keeps its writes when it returns <c>Commit</c> true
    /// (false, or an exception, undoes them); the value is returned once the writes are durable. On SQLite the work
    /// joins a group commit (one transaction and one fsync for every unit waiting; each unit in its own savepoint), so
    /// it must not wait for another write of this database, should not do slow work while it holds the lock, and sees
    /// none of the caller's async-local state (it runs on the writer's loop: capture what it needs). On PostgreSQL it is
    /// a transaction of its own. Every write goes through here (decision 0003).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<(T Value, bool Commit)>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_groupCommit is not null) return await _groupCommit.RunAsync(work, ct);

        await using var connection = await OpenAsync(writer: true, ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var (value, commit) = await work(connection, transaction, ct);
        if (commit) await transaction.CommitAsync(ct);
        else await transaction.RollbackAsync(ct);
        return value;
    }

    /// <summary>
    /// Runs one statement as a write (through <see cref="WriteAsync{T}"/>) and returns the rows it changed.
    /// </summary>
    public Task<int> ExecuteAsync(string sql, object? parameters, CancellationToken ct) =>
        WriteAsync(async (connection, transaction, token) =>
            (await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: token)), true), ct);

    /// <summary>
    /// Opens a connection for reading; the caller disposes it (which returns it to the pool). On SQLite it refuses
    /// writes: those go through <see cref="WriteAsync{T}"/>.
    /// </summary>
    public ValueTask<DbConnection> OpenAsync(CancellationToken ct) => OpenAsync(writer: false, ct);

    /// <summary>A connection that may write: the group writer's, migrations' and maintenance's.</summary>
    internal async ValueTask<DbConnection> OpenAsync(bool writer, CancellationToken ct)
    {
        if (_postgres is not null) return Counted(await _postgres.OpenConnectionAsync(ct));

        var connection = new SqliteConnection(_sqliteConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = writer ? _sqliteWriterPragmas : _sqlitePragmas;
            await pragma.ExecuteNonQueryAsync(ct);
            return Counted(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    DbConnection Counted(DbConnection connection)
    {
        Interlocked.Increment(ref _open);
        connection.StateChange += OnStateChange;
        return connection;
    }

    // Disposing closes the connection (back to the pool): Open → Closed. A caller that reopens it counts again.
    void OnStateChange(object? sender, System.Data.StateChangeEventArgs e)
    {
        if (e.OriginalState == System.Data.ConnectionState.Open && e.CurrentState == System.Data.ConnectionState.Closed) Interlocked.Decrement(ref _open);
        else if (e.OriginalState == System.Data.ConnectionState.Closed && e.CurrentState == System.Data.ConnectionState.Open) Interlocked.Increment(ref _open);
    }

    /// <summary>
    /// Creates the database file (and its folder) readable by the server's user alone before SQLite opens it;
    /// SQLite gives its -wal and -shm files the same permissions as the database file.
    /// </summary>
    static void CreateOwnerOnlyFile(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }
        if (!Directory.Exists(directory)) Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!File.Exists(path))
        {
            using var _ = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_groupCommit is not null) await _groupCommit.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
