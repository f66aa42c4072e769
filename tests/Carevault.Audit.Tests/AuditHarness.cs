using Carevault.Audit.Retention;
using Carevault.Audit.Trail;
using Carevault.Crypto;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Migrations;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Audit.Tests;

/// <summary>A migrated throwaway database with the trail over it, for one test.</summary>
public sealed class AuditHarness : IAsyncDisposable
{
    readonly TestDatabase _database;

    AuditHarness(TestDatabase database, Db db)
    {
        _database = database;
        Db = db;
        Trail = new AuditTrail(db, Keys, NullLogger<AuditTrail>.Instance);
        Verifier = new AuditVerifier(db, Keys);
        Reader = new AuditReader(db);
        Retention = new AuditRetention(db, Clock, NullLogger<AuditRetention>.Instance);
    }

    public Db Db { get; }

    /// <summary>The audit key ring: one key, as the server generates on first start.</summary>
    public AuditKeys Keys { get; } = new(new MasterKeyRing(MasterKey.Generate()));
    public TestClock Clock { get; } = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    public AuditTrail Trail { get; }
    public AuditVerifier Verifier { get; }
    public AuditReader Reader { get; }
    public AuditRetention Retention { get; }

    public static async Task<AuditHarness> CreateAsync(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var db = database.OpenDb();
        await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(TimeProvider.System, default);
        return new AuditHarness(database, db);
    }

    public static string Tenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    public AuditRecord Record(string tenant, string action = "read", int status = 200, string actor = "client-1", params string[] entities) => new()
    {
        TenantId = tenant,
        RecordedAt = Clock.GetUtcNow().ToUnixTimeMilliseconds(),
        Action = action,
        Status = status,
        ActorKind = "client",
        ActorId = actor,
        ActorRole = "",
        SourceIp = "10.0.0.7",
        UserAgent = "lis/1.0",
        Entities = entities,
        Query = action == "search" ? "subject=Patient/1&code=1234-5" : "",
        Detail = "GET /fhir/{type}/{id}",
    };

    public async Task<ChainVerdict> VerifyAsync(string tenant) => Assert.Single(await Verifier.VerifyAsync(tenant, default));

    public Task ExecuteAsync(string sql, object? parameters = null) => Db.ExecuteAsync(sql, parameters, default);

    public async ValueTask DisposeAsync()
    {
        await Trail.DisposeAsync();
        await Db.DisposeAsync();
        await _database.DisposeAsync();
    }
}
