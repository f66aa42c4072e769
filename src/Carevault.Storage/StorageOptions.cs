namespace Carevault.Storage;

/// <summary>Which relational engine holds the data.</summary>
public enum DatabaseProvider
{
    /// <summary>Embedded default: one file under the data directory, WAL mode.</summary>
    Sqlite,

    /// <summary>Production: PostgreSQL 15+ through Npgsql; several instances may share it.</summary>
    Postgres,
}

/// <summary>SQLite's <c>PRAGMA synchronous</c> level in WAL mode; see docs/decisions/0003-sqlite-durability.md.</summary>
public enum SqliteSynchronous
{
    /// <summary>fsync on every commit: a committed transaction survives power loss.</summary>
    Full,

    /// <summary>fsync at checkpoints only: faster; the last commits can be lost on power loss (never corruption).</summary>
    Normal,
}

/// <summary>Bound from the <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>For SQLite defaults to <c>Data Source={DataDirectory}/carevault.db</c>. For PostgreSQL required.</summary>
    public string? ConnectionString { get; set; }

    public SqliteSynchronous SqliteSynchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How long a SQLite writer waits for the lock before failing (milliseconds).</summary>
    public int SqliteBusyTimeoutMs { get; set; } = 10_000;
}

/// <summary>Where encrypted blobs live.</summary>
public enum BlobProvider
{
    /// <summary>Embedded default: files under <c>{DataDirectory}/blobs</c>.</summary>
    Local,

    /// <summary>S3-compatible object storage (<c>Blobs:S3:*</c>).</summary>
    S3,
}

/// <summary>Bound from the <c>Blobs</c> configuration section.</summary>
public sealed class BlobOptions
{
    public BlobProvider Provider { get; set; } = BlobProvider.Local;

    /// <summary>Local folder for blobs; defaults to <c>{DataDirectory}/blobs</c>.</summary>
    public string? Path { get; set; }
}
