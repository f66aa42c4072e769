using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Migrations;
using Carevault.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Records.Tests;

/// <summary>A migrated throwaway database with a <see cref="ResourceStore"/> over it, for one test.</summary>
public sealed class StoreHarness : IAsyncDisposable
{
    readonly TestDatabase _database;

    StoreHarness(TestDatabase database, Db db, TestClock clock)
    {
        _database = database;
        Db = db;
        Clock = clock;
        var spec = FhirSpec.R4;
        Store = new ResourceStore(db, clock, new ResourceValidation(new FhirValidator(spec)), new SearchIndexer(spec));
        Parser = new SearchQueryParser(spec);
    }

    public Db Db { get; }
    public TestClock Clock { get; }
    public ResourceStore Store { get; }
    public SearchQueryParser Parser { get; }

    public static async Task<StoreHarness> CreateAsync(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var db = database.OpenDb();
        await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(TimeProvider.System, default);
        return new StoreHarness(database, db, new TestClock(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero)));
    }

    public static string Tenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    public async Task<StoredResource> CreateAsync(string tenant, string json)
    {
        var type = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()!;
        var result = await Store.CreateAsync(tenant, type, System.Text.Encoding.UTF8.GetBytes(json), default);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value!;
    }

    public async Task<SearchPage> SearchAsync(string tenant, string type, string query)
    {
        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            return new KeyValuePair<string, string>(Uri.UnescapeDataString(p[..eq]), Uri.UnescapeDataString(p[(eq + 1)..]));
        });
        var parsed = Parser.Parse(type, pairs, strict: true);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        return await Store.SearchAsync(tenant, parsed.Value!, default);
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        await _database.DisposeAsync();
    }
}
