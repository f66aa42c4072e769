using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Xunit;

namespace Carevault.TestKit;

/// <summary>
/// A throwaway database for one test: a SQLite file in a temp folder, or a fresh PostgreSQL database on the server
/// named by <c>CAREVAULT_TEST_POSTGRES</c> (the test command starts one). Dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "CAREVAULT_TEST_POSTGRES";

    TestDatabase(DatabaseProvider provider, string connectionString, string directory, string? postgresName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Directory = directory;
        _postgresName = postgresName;
    }

    readonly string? _postgresName;

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary>A temp folder owned by this test (data directory, blobs).</summary>
    public string Directory { get; }

    /// <summary>The backends a test runs on: SQLite always, PostgreSQL when the test command provided one.</summary>
    public static TheoryData<DatabaseProvider> Backends
    {
        get
        {
            var data = new TheoryData<DatabaseProvider> { DatabaseProvider.Sqlite };
            if (PostgresServer is not null) data.Add(DatabaseProvider.Postgres);
            return data;
        }
    }

    public static string? PostgresServer => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value : null;

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        var directory = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        if (provider == DatabaseProvider.Sqlite)
            return new TestDatabase(provider, $"Data Source={Path.Combine(directory, "carevault.db")}", directory, null);

        var server = PostgresServer ?? throw new InvalidOperationException($"{PostgresVariable} is not set: the test command starts PostgreSQL and sets it.");
        var name = "cv_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        return new TestDatabase(provider, connectionString, directory, name);
    }

    /// <summary>The database as the server opens it with <see cref="Settings"/> (SQLite: under the folder's key file).</summary>
    public Db OpenDb() => OpenWith(Settings());

    /// <summary>The embedded database of a server's data folder, opened as that server opens it (its key file, its master key).</summary>
    public static Db OpenDataFolder(string dataDirectory) => OpenWith(new() { ["DataDirectory"] = dataDirectory });

    static Db OpenWith(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var settings = StorageSettings.From(configuration);
        return Db.Open(settings, MasterKeys.From(configuration, settings));
    }

    /// <summary>
    /// Configuration values that point a Carevault server at this database. Two ingestion worker loops, not the
    /// default 16: the tests run many servers at once against one PostgreSQL (max_connections 300), and each loop
    /// claims on its own connection. A test that needs more loops says so.
    /// </summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["DataDirectory"] = Directory,
        ["Database:Provider"] = Provider.ToString(),
        ["Database:ConnectionString"] = ConnectionString,
        ["Ingestion:Workers"] = "2",
    };

    public async ValueTask DisposeAsync()
    {
        if (_postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(PostgresServer);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_postgresName} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing server; the temp folder is cleaned with the machine.
        }
    }
}
