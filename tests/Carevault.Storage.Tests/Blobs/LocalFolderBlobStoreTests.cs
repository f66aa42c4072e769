using Carevault.Storage.Blobs;

namespace Carevault.Storage.Tests.Blobs;

public sealed class LocalFolderBlobStoreTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "carevault-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task WriteThenOpen_ReturnsTheSameBytes()
    {
        var store = new LocalFolderBlobStore(_root);
        var bytes = new byte[200_000];
        new Random(7).NextBytes(bytes);

        await store.WriteAsync("tenant-a/originals/abc.bin", new MemoryStream(bytes), default);
        await using var read = await store.OpenReadAsync("tenant-a/originals/abc.bin", default);

        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_root, "tenant-a", "originals", "abc.bin")));
    }

    [Fact]
    public async Task OpenRead_WhenMissing_ReturnsNull()
    {
        var store = new LocalFolderBlobStore(_root);

        Assert.Null(await store.OpenReadAsync("nothing/here", default));
    }

    [Fact]
    public async Task Delete_RemovesTheBlob()
    {
        var store = new LocalFolderBlobStore(_root);
        await store.WriteAsync("a/b", new MemoryStream([1]), default);

        await store.DeleteAsync("a/b", default);

        Assert.Null(await store.OpenReadAsync("a/b", default));
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
        var store = new LocalFolderBlobStore(_root);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.WriteAsync(key, new MemoryStream([1]), default));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "escape")));
    }

    [Fact]
    public async Task Write_WhenSourceFails_LeavesNoBlobAndNoTemporaryFile()
    {
        var store = new LocalFolderBlobStore(_root);

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("a/b", new FailingStream(), default));

        Assert.Null(await store.OpenReadAsync("a/b", default));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, ".tmp")));
    }

    [Fact]
    public async Task CheckWritable_LeavesNothingBehind()
    {
        var store = new LocalFolderBlobStore(_root);

        await store.CheckWritableAsync(default);

        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    sealed class FailingStream : MemoryStream
    {
        int _reads;
        public FailingStream() : base(new byte[100_000]) { }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _reads++ == 0 ? base.ReadAsync(buffer[..10], cancellationToken) : throw new IOException("client went away");
    }
}
