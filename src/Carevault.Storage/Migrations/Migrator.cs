using System.Data.Common;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Carevault.Storage.Database;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Carevault.Storage.Migrations;

/// <summary>One versioned, forward-only schema step, as a SQL script of the current dialect.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script: an applied migration must never be edited.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <summary>Where the database stands against the migrations this build knows.</summary>
public sealed record MigrationStatus(int CurrentVersion, int LatestVersion, IReadOnlyList<int> Pending)
{
    public bool IsCurrent => Pending.Count == 0;
}

/// <summary>
/// Applies the embedded SQL scripts in version order and records each in <c>schema_migrations</c>.
/// Safe to run twice (applied versions are skipped) and from two processes at once: PostgreSQL serialises
/// migrators on an advisory lock, SQLite on its write lock (<c>BEGIN IMMEDIATE</c>).
/// See docs/decisions/0002-data-access-and-migrations.md.
/// </summary>
public sealed partial class Migrator(Db db, ILogger<Migrator> logger)
{
    // Arbitrary constant shared by every Carevault process: "carevault" in ASCII, folded into 63 bits.
    const long PostgresLockKey = 0x63617265_7661756C;

    const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER NOT NULL PRIMARY KEY,
            name        TEXT    NOT NULL,
            checksum    TEXT    NOT NULL,
            applied_at  BIGINT  NOT NULL
        )
        """;

    /// <summary>The migrations compiled into this build for the configured dialect, in version order.</summary>
    public IReadOnlyList<Migration> Known { get; } = Load(db.Dialect);

    public static IReadOnlyList<Migration> Load(SqlDialect dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"migrations/{dialect.Name}/";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var fileName = resource[prefix.Length..^".sql".Length];
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(fileName.AsSpan(0, separator), out var version))
                throw new InvalidOperationException($"Migration script '{resource}' must be named NNNN_name.sql.");
            migrations.Add(new Migration(version, fileName[(separator + 1)..], ReadResource(assembly, resource)));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"Migration versions must run 1, 2, 3… without gaps; found {migrations[i].Version} at position {i + 1}.");
        }
        return migrations;
    }

    /// <summary>Applies every pending migration; returns the versions applied by this call.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(TimeProvider clock, CancellationToken ct)
    {
        // Before any server work starts, so no group writer is running yet: migrations hold their own write connection.
        await using var connection = await db.OpenAsync(writer: true, ct);
        if (db.Provider == DatabaseProvider.Postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = PostgresLockKey }, cancellationToken: ct));
            try
            {
                return await ApplyPendingAsync(connection, clock, ct);
            }
            finally
            {
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = PostgresLockKey }, cancellationToken: CancellationToken.None));
            }
        }
        return await ApplyPendingAsync(connection, clock, ct);
    }

    async Task<IReadOnlyList<int>> ApplyPendingAsync(DbConnection connection, TimeProvider clock, CancellationToken ct)
    {
        // One transaction for the whole run: on SQLite it is the cross-process lock, and on both engines a failing
        // script leaves the schema exactly as it was (DDL is transactional on SQLite and PostgreSQL).
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(CreateVersionTable, transaction: transaction, cancellationToken: ct));
        var applied = (await connection.QueryAsync<(long Version, string Checksum)>(new CommandDefinition(
            "SELECT version, checksum FROM schema_migrations ORDER BY version", transaction: transaction, cancellationToken: ct)))
            .ToDictionary(row => (int)row.Version, row => row.Checksum);

        var appliedNow = new List<int>();
        foreach (var migration in Known)
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                    throw new InvalidOperationException($"Migration {migration.Version} ({migration.Name}) was changed after it was applied; add a new migration instead.");
                continue;
            }
            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@Version, @Name, @Checksum, @AppliedAt)",
                new { migration.Version, migration.Name, migration.Checksum, AppliedAt = clock.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction, cancellationToken: ct));
            appliedNow.Add(migration.Version);
            LogApplied(logger, migration.Version, migration.Name);
        }
        await transaction.CommitAsync(ct);
        return appliedNow;
    }

    /// <summary>Reads the applied versions without changing anything (used by the readiness check).</summary>
    public async Task<MigrationStatus> GetStatusAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var exists = db.Provider == DatabaseProvider.Postgres
            ? await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT to_regclass('schema_migrations') IS NOT NULL", cancellationToken: ct))
            : await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", cancellationToken: ct)) > 0;
        var applied = exists
            ? (await connection.QueryAsync<long>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: ct))).Select(v => (int)v).ToHashSet()
            : [];
        var pending = Known.Where(m => !applied.Contains(m.Version)).Select(m => m.Version).ToList();
        return new MigrationStatus(applied.Count == 0 ? 0 : applied.Max(), Known.Count, pending);
    }

    static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} {Name}")]
    static partial void LogApplied(ILogger logger, int version, string name);
}
