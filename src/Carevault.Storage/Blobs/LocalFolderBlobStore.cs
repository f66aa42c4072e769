namespace Carevault.Storage.Blobs;

/// <summary>
/// Blobs as files under one folder. A write goes to a temporary file, is flushed to disk, then renamed into place,
/// so a reader never sees a half-written blob and a crash leaves at most an orphaned temporary file.
/// </summary>
public sealed class LocalFolderBlobStore : IBlobStore
{
    const string TempFolder = ".tmp";
    readonly string _root;

    public LocalFolderBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(_root);
        else if (!Directory.Exists(_root)) Directory.CreateDirectory(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(_root, TempFolder));
    }

    public string Root => _root;

    public async Task WriteAsync(string key, Stream content, CancellationToken ct)
    {
        var path = PathOf(key);
        var temp = Path.Combine(_root, TempFolder, Guid.NewGuid().ToString("N"));
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(temp, options))
            {
                await content.CopyToAsync(file, 81_920, ct);
                file.Flush(flushToDisk: true);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var path = PathOf(key);
        try
        {
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, FileOptions.Asynchronous);
            return Task.FromResult<Stream?>(stream);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was ever stored under this folder: already deleted.
        }
        return Task.CompletedTask;
    }

    public async Task<bool> ReplacePrefixAsync(string key, ReadOnlyMemory<byte> prefix, CancellationToken ct)
    {
        var path = PathOf(key);
        FileStream file;
        try
        {
            // In place, as docs/decisions/0004 intends: a re-wrap touches 128 bytes, never the body.
            file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 0, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        await using (file)
        {
            if (file.Length < prefix.Length)
                throw new InvalidOperationException($"The blob is shorter than the {prefix.Length}-byte prefix to replace.");
            await RandomAccess.WriteAsync(file.SafeFileHandle, prefix, 0, ct);
            file.Flush(flushToDisk: true);
        }
        return true;
    }

    public async Task CheckWritableAsync(CancellationToken ct)
    {
        var key = $"{TempFolder}/probe-{Guid.NewGuid():N}";
        await WriteAsync(key, new MemoryStream([1, 2, 3]), ct);
        await DeleteAsync(key, ct);
    }

    string PathOf(string key)
    {
        BlobKey.Validate(key);
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }
}
