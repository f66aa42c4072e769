namespace Carevault.Crypto;

/// <summary>
/// Where a <see cref="DecryptingStream"/> reads ciphertext from: one stream (seekable or not), or a callback
/// that opens the stored object at an offset (e.g. an HTTP Range GET on S3), used again after each seek.
/// </summary>
internal sealed class CiphertextSource : IDisposable, IAsyncDisposable
{
    private readonly Func<long, CancellationToken, Task<Stream>>? _openAt;
    private readonly bool _leaveOpen;
    private readonly long _origin;
    private readonly long? _length;
    private Stream? _stream;

    public CiphertextSource(Stream stream, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _origin = stream.CanSeek ? stream.Position : 0;
    }

    public CiphertextSource(Func<long, CancellationToken, Task<Stream>> openAt, long length)
    {
        _openAt = openAt;
        _length = length;
    }

    public bool CanSeek => _openAt is not null || _stream!.CanSeek;

    /// <summary>Length of the stored object from where decryption started.</summary>
    public long Length => _length ?? (_stream!.Length - _origin);

    public int Read(Span<byte> buffer)
    {
        if (_stream is null)
        {
            // Sync-over-async only on the sync path of a callback source; HTTP callers read asynchronously.
            _stream = _openAt!(0, CancellationToken.None).GetAwaiter().GetResult();
        }

        return _stream.Read(buffer);
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        _stream ??= await _openAt!(0, cancellationToken).ConfigureAwait(false);
        return await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the source ends; returns bytes read.</summary>
    public int ReadFully(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    public async ValueTask<int> ReadFullyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    public void Seek(long offset)
    {
        if (_openAt is null)
        {
            _stream!.Position = _origin + offset;
            return;
        }

        _stream?.Dispose();
        _stream = null;
        _stream = _openAt(offset, CancellationToken.None).GetAwaiter().GetResult();
    }

    public async ValueTask SeekAsync(long offset, CancellationToken cancellationToken)
    {
        if (_openAt is null)
        {
            _stream!.Position = _origin + offset;
            return;
        }

        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stream = null;
        }

        _stream = await _openAt(offset, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_openAt is not null || !_leaveOpen)
        {
            _stream?.Dispose();
        }

        _stream = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null && (_openAt is not null || !_leaveOpen))
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }

        _stream = null;
    }
}
