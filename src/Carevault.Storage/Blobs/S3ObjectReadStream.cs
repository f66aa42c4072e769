using Amazon.S3.Model;

namespace Carevault.Storage.Blobs;

/// <summary>
/// A seekable read stream over one S3 object version. It reads the body of the GET that opened it; after a seek
/// it drops that body and issues a ranged GET at the next read, pinned to the object's ETag (a replaced object
/// fails instead of mixing versions).
/// </summary>
internal sealed class S3ObjectReadStream : Stream
{
    readonly S3BlobStore _store;
    readonly string _objectKey;
    readonly string _etag;
    readonly long _length;
    GetObjectResponse? _response;
    long _position;
    long _bodyPosition; // object offset of the next byte of _response's body
    bool _disposed;

    public S3ObjectReadStream(S3BlobStore store, string objectKey, GetObjectResponse response, long length)
    {
        _store = store;
        _objectKey = objectKey;
        _etag = response.ETag;
        _length = length;
        _response = response;
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => !_disposed;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return target;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty || _position >= _length) return 0;
        if (_response is null || _bodyPosition != _position)
        {
            _response?.Dispose();
            _response = null;
            _response = await _store.GetFromAsync(_objectKey, _etag, _position, _length - 1, cancellationToken);
            _bodyPosition = _position;
        }

        int n = await _response.ResponseStream.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _length - _position)], cancellationToken);
        if (n == 0) throw new IOException("The S3 object ended before its stated length.");
        _position += n;
        _bodyPosition += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads block on the HTTP call; ASP.NET Core and the decrypting stream read asynchronously.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _response?.Dispose();
            _response = null;
        }
        base.Dispose(disposing);
    }
}
