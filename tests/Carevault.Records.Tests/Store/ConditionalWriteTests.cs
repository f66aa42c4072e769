using System.Text;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Records.Tests.Store;

/// <summary>Conditional writes resolved inside the store transaction (FHIR R4 http.html#ccreate, #cond-update, #cdelete).</summary>
public sealed class ConditionalWriteTests
{
    const string System = "urn:oid:1.2.36.146.595.217.0.1";

    static string Patient(string mrn, string family = "Okafor") =>
        $$"""{"resourceType":"Patient","identifier":[{"system":"{{System}}","value":"{{mrn}}"}],"name":[{"family":"{{family}}"}]}""";

    static SearchQuery Query(StoreHarness h, string type, string search)
    {
        var pairs = search.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p[1])));
        var parsed = h.Parser.Parse(type, pairs, strict: true);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        return parsed.Value!;
    }

    static TransactionWrite CreateIfNone(StoreHarness h, string mrn, string? fullUrl = null) =>
        new("POST", "Patient", h.Store.NewId(), Encoding.UTF8.GetBytes(Patient(mrn)), null) { IfNoneExist = Query(h, "Patient", $"identifier={System}|{mrn}"), FullUrl = fullUrl };

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task IfNoneExist_CreatesOnce_ThenMatches_AndRefusesMultipleMatches(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();

        var first = await h.Store.ExecuteAsync(tenant, [CreateIfNone(h, "A1")], [], default);
        var second = await h.Store.ExecuteAsync(tenant, [CreateIfNone(h, "A1")], [], default);
        await h.CreateAsync(tenant, Patient("B2"));
        await h.CreateAsync(tenant, Patient("B2"));
        var ambiguous = await h.Store.ExecuteAsync(tenant, [CreateIfNone(h, "B2")], [], default);
        var otherTenant = await h.Store.ExecuteAsync(StoreHarness.Tenant(), [CreateIfNone(h, "A1")], [], default);

        Assert.Equal(WriteOutcome.Created, first.Value![0].Outcome);
        Assert.Equal(WriteOutcome.Matched, second.Value![0].Outcome);
        Assert.Equal(first.Value[0].Resource.Id, second.Value[0].Resource.Id);
        Assert.Equal(1, second.Value[0].Resource.VersionId);
        Assert.Equal(RecordErrorKind.PreconditionFailed, ambiguous.Error?.Kind);
        Assert.Equal("multiple-matches", ambiguous.Error?.Code);
        Assert.Equal(WriteOutcome.Created, otherTenant.Value![0].Outcome);
        Assert.Single((await h.SearchAsync(tenant, "Patient", $"identifier={System}|A1")).Resources);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task IfNoneExist_WhenMatched_RewritesFullUrlReferencesToTheExistingResource(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var existing = await h.CreateAsync(tenant, Patient("C3"));
        const string uuid = "urn:uuid:0b8a1b1e-8f35-4c39-9d1c-7c6a3f0e2b11";
        var observation = new TransactionWrite("POST", "Observation", h.Store.NewId(),
            Encoding.UTF8.GetBytes($$"""{"resourceType":"Observation","status":"final","code":{"text":"weight"},"subject":{"reference":"{{uuid}}"} }"""), null);

        var result = await h.Store.ExecuteAsync(tenant, [CreateIfNone(h, "C3", uuid), observation], [], default);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(WriteOutcome.Matched, result.Value![0].Outcome);
        Assert.Contains($"\"reference\":\"Patient/{existing.Id}\"", result.Value[1].Resource.Body, StringComparison.Ordinal);
        Assert.Single((await h.SearchAsync(tenant, "Observation", $"subject=Patient/{existing.Id}")).Resources);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConcurrentTransactions_WithTheSameIfNoneExist_CreateOnePatient(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var firstInCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first holds its transaction open after its create; the second starts its own inside that window.
        var first = Task.Run(() => h.Store.ExecuteAsync(tenant, [CreateIfNone(h, "D4")], [], default, async (_, _, _, ct) =>
        {
            firstInCommit.SetResult();
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            return null;
        }));
        await firstInCommit.Task;
        var others = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => h.Store.ExecuteAsync(tenant, [CreateIfNone(h, "D4")], [], default))));
        var results = others.Append(await first).ToList();

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.ToString()));
        Assert.Equal(WriteOutcome.Created, results[^1].Value![0].Outcome);
        Assert.All(others, r => Assert.Equal(WriteOutcome.Matched, r.Value![0].Outcome));
        Assert.Single(results.Select(r => r.Value![0].Resource.Id).Distinct());
        Assert.Single((await h.SearchAsync(tenant, "Patient", $"identifier={System}|D4")).Resources);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalUpdate_CreatesUpdatesOrRefuses(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        TransactionWrite Put(string mrn, string family, string? bodyId = null) =>
            new("PUT", "Patient", h.Store.NewId(), Encoding.UTF8.GetBytes(bodyId is null ? Patient(mrn, family) : Patient(mrn, family).Replace("{\"resourceType\":\"Patient\",", $"{{\"resourceType\":\"Patient\",\"id\":\"{bodyId}\",", StringComparison.Ordinal)), null)
            { Condition = Query(h, "Patient", $"identifier={System}|{mrn}") };

        var created = await h.Store.ExecuteAsync(tenant, [Put("E5", "First")], [], default);
        var updated = await h.Store.ExecuteAsync(tenant, [Put("E5", "Second")], [], default);
        var wrongId = await h.Store.ExecuteAsync(tenant, [Put("E5", "Third", "someone-else")], [], default);
        var createWithId = await h.Store.ExecuteAsync(tenant, [Put("F6", "Fourth", "chosen")], [], default);

        Assert.Equal(WriteOutcome.Created, created.Value![0].Outcome);
        Assert.Equal(WriteOutcome.Updated, updated.Value![0].Outcome);
        Assert.Equal(created.Value[0].Resource.Id, updated.Value[0].Resource.Id);
        Assert.Equal(2, updated.Value[0].Resource.VersionId);
        Assert.Contains("Second", updated.Value[0].Resource.Body, StringComparison.Ordinal);
        Assert.Equal(RecordErrorKind.BadRequest, wrongId.Error?.Kind);
        Assert.Equal(RecordErrorKind.MethodNotAllowed, createWithId.Error?.Kind);
        Assert.Empty((await h.SearchAsync(tenant, "Patient", $"identifier={System}|F6")).Resources);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalDelete_DeletesTheOneMatch(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var target = await h.CreateAsync(tenant, Patient("G7"));
        await h.CreateAsync(tenant, Patient("H8"));
        await h.CreateAsync(tenant, Patient("H8"));
        TransactionWrite Delete(string mrn) => new("DELETE", "Patient", "", default, null) { Condition = Query(h, "Patient", $"identifier={System}|{mrn}") };

        var deleted = await h.Store.ExecuteAsync(tenant, [Delete("G7")], [], default);
        var none = await h.Store.ExecuteAsync(tenant, [Delete("G7")], [], default);
        var many = await h.Store.ExecuteAsync(tenant, [Delete("H8")], [], default);

        Assert.Equal(WriteOutcome.Deleted, deleted.Value![0].Outcome);
        Assert.Equal(RecordErrorKind.Gone, (await h.Store.ReadAsync(tenant, "Patient", target.Id, default)).Error?.Kind);
        Assert.Equal(RecordErrorKind.NotFound, none.Error?.Kind);
        Assert.Equal(RecordErrorKind.PreconditionFailed, many.Error?.Kind);
        Assert.Equal(2, (await h.SearchAsync(tenant, "Patient", $"identifier={System}|H8")).Resources.Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task ConditionalReference_ResolvesToTheOneMatch_ElseFailsNamingTheEntry(DatabaseProvider provider)
    {
        await using var h = await StoreHarness.CreateAsync(provider);
        var tenant = StoreHarness.Tenant();
        var patient = await h.CreateAsync(tenant, Patient("J9"));
        await h.CreateAsync(tenant, Patient("K1"));
        await h.CreateAsync(tenant, Patient("K1"));
        TransactionWrite Observation(string mrn) => new("POST", "Observation", h.Store.NewId(),
            Encoding.UTF8.GetBytes($$"""{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient?identifier={{System}}|{{mrn}}"} }"""), null);
        ConditionalReference Reference(string mrn, int entry) => new($"Patient?identifier={System}|{mrn}", entry, Query(h, "Patient", $"identifier={System}|{mrn}"));

        var resolved = await h.Store.ExecuteAsync(tenant, [Observation("J9")], [Reference("J9", 0)], default);
        var none = await h.Store.ExecuteAsync(tenant, [Observation("J9"), Observation("Z0")], [Reference("J9", 0), Reference("Z0", 1)], default);
        var many = await h.Store.ExecuteAsync(tenant, [Observation("K1")], [Reference("K1", 0)], default);

        Assert.Contains($"\"reference\":\"Patient/{patient.Id}\"", resolved.Value![0].Resource.Body, StringComparison.Ordinal);
        Assert.Equal(RecordErrorKind.BadRequest, none.Error?.Kind);
        Assert.StartsWith("Bundle.entry[1]:", none.Error?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Z0", none.Error?.Message, StringComparison.Ordinal);
        Assert.Equal(RecordErrorKind.PreconditionFailed, many.Error?.Kind);
        Assert.Single((await h.SearchAsync(tenant, "Observation", "status=final")).Resources);
    }
}
