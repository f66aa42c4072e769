using Carevault.Storage.Blobs;

namespace Carevault.Storage.Tests.Blobs;

/// <summary>What every <see cref="IBlobStore"/> must do; run against each implementation by a derived class.</summary>
public abstract class BlobStoreContractTests
{
    protected abstract IBlobStore Store { get; }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(200_000)]
    [InlineData(20_000_000)]
    public async Task WriteThenOpen_ReturnsTheSameBytes(int length)
    {
        var bytes = BlobTestData.RandomBytes(length, seed: length);

        await Store.WriteAsync("tenant-a/originals/abc.bin", new MemoryStream(bytes), default);
        await using var read = await Store.OpenReadAsync("tenant-a/originals/abc.bin", default);

        Assert.NotNull(read);
        Assert.True(read.CanSeek);
        Assert.Equal(length, read.Length);
        Assert.Equal(bytes, await BlobTestData.ReadAllAsync(read));
    }

    [Fact]
    public async Task Write_WhenKeyExists_ReplacesTheBlob()
    {
        await Store.WriteAsync("a/b", new MemoryStream([1, 2, 3]), default);

        await Store.WriteAsync("a/b", new MemoryStream([4, 5]), default);

        await using var read = await Store.OpenReadAsync("a/b", default);
        Assert.Equal([4, 5], await BlobTestData.ReadAllAsync(read!));
    }

    [Fact]
    public async Task OpenRead_WhenMissing_ReturnsNull()
    {
        Assert.Null(await Store.OpenReadAsync("nothing/here", default));
    }

    [Fact]
    public async Task OpenRead_AfterSeek_ReadsFromTheNewPosition()
    {
        var bytes = BlobTestData.RandomBytes(300_000, seed: 3);
        await Store.WriteAsync("seek", new MemoryStream(bytes), default);
        await using var read = await Store.OpenReadAsync("seek", default);
        var buffer = new byte[1000];

        await read!.ReadExactlyAsync(buffer.AsMemory(0, 10));
        read.Seek(250_000, SeekOrigin.Begin);
        await read.ReadExactlyAsync(buffer);
        Assert.Equal(bytes.AsSpan(250_000, 1000).ToArray(), buffer);

        read.Position = 5;
        await read.ReadExactlyAsync(buffer);
        Assert.Equal(bytes.AsSpan(5, 1000).ToArray(), buffer);
        Assert.Equal(1005, read.Position);

        read.Seek(-10, SeekOrigin.End);
        Assert.Equal(bytes.AsSpan(bytes.Length - 10).ToArray(), await BlobTestData.ReadAllAsync(read));
    }

    [Fact]
    public async Task Delete_RemovesTheBlob()
    {
        await Store.WriteAsync("a/b", new MemoryStream([1]), default);

        await Store.DeleteAsync("a/b", default);

        Assert.Null(await Store.OpenReadAsync("a/b", default));
    }

    [Fact]
    public async Task Delete_WhenMissing_DoesNotThrow()
    {
        await Store.DeleteAsync("never/written", default);

        Assert.Null(await Store.OpenReadAsync("never/written", default));
    }

    [Theory]
    [InlineData(100_000)]    // one PUT on S3
    [InlineData(12_000_000)] // a multipart upload already under way on S3
    public async Task Write_WhenCancelledMidway_LeavesNoBlob(int failAfter)
    {
        using var cts = new CancellationTokenSource();
        var source = new InterruptedStream(new byte[failAfter * 2], failAfter, cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteAsync("cancelled", source, cts.Token));

        Assert.Null(await Store.OpenReadAsync("cancelled", default));
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(12_000_000)]
    public async Task Write_WhenSourceFails_KeepsThePreviousBlob(int failAfter)
    {
        await Store.WriteAsync("kept", new MemoryStream([7, 7, 7]), default);

        await Assert.ThrowsAsync<IOException>(() => Store.WriteAsync("kept", new InterruptedStream(new byte[failAfter * 2], failAfter), default));

        await using var read = await Store.OpenReadAsync("kept", default);
        Assert.Equal([7, 7, 7], await BlobTestData.ReadAllAsync(read!));
    }

    [Theory]
    [InlineData(128)]
    [InlineData(300_000)]
    [InlineData(20_000_000)] // above the S3 part size: multipart replacement
    public async Task ReplacePrefix_ChangesOnlyThePrefix(int length)
    {
        var bytes = BlobTestData.RandomBytes(length, seed: 11);
        await Store.WriteAsync("prefix", new MemoryStream(bytes), default);
        var prefix = BlobTestData.RandomBytes(128, seed: 12);

        Assert.True(await Store.ReplacePrefixAsync("prefix", prefix, default));

        prefix.CopyTo(bytes, 0);
        await using var read = await Store.OpenReadAsync("prefix", default);
        Assert.Equal(bytes, await BlobTestData.ReadAllAsync(read!));
    }

    [Fact]
    public async Task ReplacePrefix_WhenMissing_ReturnsFalse()
    {
        Assert.False(await Store.ReplacePrefixAsync("missing", new byte[128], default));

        Assert.Null(await Store.OpenReadAsync("missing", default));
    }

    [Fact]
    public async Task ReplacePrefix_WhenBlobIsShorter_Throws()
    {
        await Store.WriteAsync("short", new MemoryStream([1, 2, 3]), default);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.ReplacePrefixAsync("short", new byte[128], default));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("trailing/")]
    [InlineData("")]
    public async Task Write_WithUnsafeKey_IsRefused(string key)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync(key, new MemoryStream([1]), default));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.OpenReadAsync(key, default));
    }

    [Fact]
    public async Task CheckWritable_Succeeds()
    {
        await Store.CheckWritableAsync(default);
    }
}

public sealed class LocalFolderBlobStoreContractTests : BlobStoreContractTests, IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));
    readonly LocalFolderBlobStore _store;

    public LocalFolderBlobStoreContractTests() => _store = new LocalFolderBlobStore(_root);

    protected override IBlobStore Store => _store;

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

[Collection(S3rverGroup.Name)]
public sealed class S3BlobStoreContractTests(S3rverFixture s3rver) : BlobStoreContractTests, IDisposable
{
    readonly S3BlobStore _store = s3rver.CreateStore();

    protected override IBlobStore Store => _store;

    public void Dispose() => _store.Dispose();
}
