using System.Security.Cryptography;
using Carevault.Crypto;
using Carevault.Storage.Blobs;
using Xunit.Abstractions;

namespace Carevault.Storage.Tests.Blobs;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurementGroup
{
    public const string Name = "allocation measurement (runs alone)";
}

/// <summary>
/// Streams 200 MB through <see cref="EncryptedBlobStore"/> over S3 and measures what the process allocates
/// meanwhile (all threads). Runs alone so that other tests' allocations do not count.
/// </summary>
[Collection(AllocationMeasurementGroup.Name)]
public sealed class EncryptedBlobStoreMemoryTests(ITestOutputHelper output)
{
    const long Size = 200L * 1000 * 1000;
    const long AllowedAllocation = 24L * 1024 * 1024; // one 8 MiB part buffer plus the SDK's per-request objects

    [Fact]
    public async Task WriteThenRead_200MBOverS3_AllocatesLittleAndRoundTrips()
    {
        using var fixture = new S3rverFixture();
        using var s3 = fixture.CreateStore();
        var store = new EncryptedBlobStore(s3, new MasterKeyRing(MasterKey.Generate("mk-memory")));
        await store.WriteAsync("warm-up", new PatternStream(20_000_000), default); // JIT, connection pool, pooled buffers

        long before = GC.GetTotalAllocatedBytes(precise: true);
        var started = TimeProvider.System.GetTimestamp();
        var result = await store.WriteAsync("big", new PatternStream(Size), default);
        var writeTime = TimeProvider.System.GetElapsedTime(started);
        long written = GC.GetTotalAllocatedBytes(precise: true) - before;

        before = GC.GetTotalAllocatedBytes(precise: true);
        started = TimeProvider.System.GetTimestamp();
        byte[] readHash;
        await using (var read = await store.OpenReadAsync("big", default))
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[81_920];
            int n;
            while ((n = await read!.ReadAsync(buffer)) > 0) sha.AppendData(buffer, 0, n);
            readHash = sha.GetHashAndReset();
        }
        var readTime = TimeProvider.System.GetElapsedTime(started);
        long readAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        output.WriteLine($"200 MB write through EncryptedBlobStore over S3 (s3rver): {written / 1024.0 / 1024:F1} MiB allocated, {writeTime.TotalSeconds:F1} s");
        output.WriteLine($"200 MB verified read back: {readAllocated / 1024.0 / 1024:F1} MiB allocated, {readTime.TotalSeconds:F1} s");
        Assert.Equal(Size, result.PlaintextLength);
        Assert.Equal(result.PlaintextSha256.ToArray(), readHash);
        Assert.InRange(written, 0, AllowedAllocation);
        Assert.InRange(readAllocated, 0, AllowedAllocation);
    }
}
