using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Migrations;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Storage.Tests.Migrations;

public sealed class MigratorTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Migrate_OnEmptyDatabase_AppliesEveryMigrationAndRecordsIt(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var db = database.OpenDb();
        var migrator = new Migrator(db, NullLogger<Migrator>.Instance);

        var applied = await migrator.MigrateAsync(TimeProvider.System, default);

        Assert.Equal(migrator.Known.Select(m => m.Version), applied);
        var status = await migrator.GetStatusAsync(default);
        Assert.True(status.IsCurrent);
        Assert.Equal(migrator.Known.Count, status.CurrentVersion);
        await using var connection = await db.OpenAsync(default);
        var rows = (await connection.QueryAsync<(long Version, string Name, string Checksum)>("SELECT version, name, checksum FROM schema_migrations ORDER BY version")).ToList();
        Assert.Equal(migrator.Known.Select(m => (long)m.Version), rows.Select(r => r.Version));
        Assert.Equal(migrator.Known.Select(m => m.Checksum), rows.Select(r => r.Checksum));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Migrate_RunTwice_SecondRunAppliesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var db = database.OpenDb();
        var migrator = new Migrator(db, NullLogger<Migrator>.Instance);

        await migrator.MigrateAsync(TimeProvider.System, default);
        var second = await migrator.MigrateAsync(TimeProvider.System, default);

        Assert.Empty(second);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Migrate_FromFourProcessesAtOnce_AppliesEachMigrationOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var dbs = Enumerable.Range(0, 4).Select(_ => database.OpenDb()).ToList();
        try
        {
            var runs = await Task.WhenAll(dbs.Select(db => Task.Run(() => new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(TimeProvider.System, default))));

            var all = runs.SelectMany(r => r).ToList();
            Assert.Equal(all.Distinct().Count(), all.Count);
            Assert.Equal(Migrator.Load(dbs[0].Dialect).Count, all.Count);
        }
        finally
        {
            foreach (var db in dbs) await db.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Migrate_WhenAppliedScriptWasEdited_RefusesToRun(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var db = database.OpenDb();
        var migrator = new Migrator(db, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(TimeProvider.System, default);
        await db.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", null, default);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.MigrateAsync(TimeProvider.System, default));

        Assert.Contains("Migration 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task GetStatus_OnEmptyDatabase_ReportsEveryMigrationPending(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var db = database.OpenDb();
        var migrator = new Migrator(db, NullLogger<Migrator>.Instance);

        var status = await migrator.GetStatusAsync(default);

        Assert.False(status.IsCurrent);
        Assert.Equal(0, status.CurrentVersion);
        Assert.Equal(migrator.Known.Select(m => m.Version), status.Pending);
    }

    [Fact]
    public void Load_BothDialects_HaveTheSameHistory()
    {
        var sqlite = Migrator.Load(SqlDialect.Sqlite);
        var postgres = Migrator.Load(SqlDialect.Postgres);

        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite.Select(m => (m.Version, m.Name)), postgres.Select(m => (m.Version, m.Name)));
    }
}
