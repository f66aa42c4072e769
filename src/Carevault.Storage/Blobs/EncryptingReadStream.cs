using System.Buffers;
using Carevault.Crypto;

namespace Carevault.Storage.Blobs;

/// <summary>
/// Turns the push-style <see cref="EncryptingStream"/> into a pull-style stream that a blob store can read:
/// each read pulls up to one chunk of plaintext, encrypts it into a small buffer and hands out the ciphertext.
/// Memory is one plaintext chunk, the encryptor's chunk and one record of ciphertext; no second thread or pipe.
/// The final chunk is sealed only when the plaintext source ends normally, so a failed or cancelled source never
/// yields a complete-looking ciphertext.
/// </summary>
internal sealed class EncryptingReadStream : Stream
{
    readonly Stream _plaintext;
    readonly RecordBuffer _ciphertext;
    readonly EncryptingStream _encryptor;
    byte[]? _input;
    readonly int _chunkSize;
    bool _disposed;

    public EncryptingReadStream(Stream plaintext, MasterKeyRing keys, BlobEncryptionOptions options)
    {
        _plaintext = plaintext;
        _chunkSize = options.ChunkSize;
        _ciphertext = new RecordBuffer(BlobFormat.HeaderSize + _chunkSize + BlobFormat.TagSize);
        _encryptor = new EncryptingStream(_ciphertext, keys, options with { LeaveOpen = true, DetachedHeader = false });
        _input = ArrayPool<byte>.Shared.Rent(_chunkSize);
    }

    /// <summary>Set once the plaintext source has ended and the final chunk has been sealed.</summary>
    public BlobEncryptionResult? Result { get; private set; }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (_ciphertext.Available == 0)
        {
            if (Result is not null) return 0;
            int n = await _plaintext.ReadAsync(_input.AsMemory(0, _chunkSize), cancellationToken);
            if (n == 0) Result = await _encryptor.CompleteAsync(cancellationToken);
            else await _encryptor.WriteAsync(_input.AsMemory(0, n), cancellationToken);
        }
        return _ciphertext.CopyTo(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0) return 0;
        while (_ciphertext.Available == 0)
        {
            if (Result is not null) return 0;
            int n = _plaintext.Read(_input!, 0, _chunkSize);
            if (n == 0) Result = _encryptor.Complete();
            else _encryptor.Write(_input!, 0, n);
        }
        return _ciphertext.CopyTo(buffer.AsSpan(offset, count));
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _encryptor.Dispose();
            _ciphertext.Dispose();
            if (_input is not null)
            {
                // It held plaintext: patient data.
                ArrayPool<byte>.Shared.Return(_input, clearArray: true);
                _input = null;
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>Write side for the encryptor, read side for the store: it holds at most the header and one record.</summary>
    sealed class RecordBuffer(int capacity) : Stream
    {
        byte[]? _bytes = ArrayPool<byte>.Shared.Rent(capacity);
        int _start;
        int _end;

        public int Available => _end - _start;

        public int CopyTo(Span<byte> destination)
        {
            int n = Math.Min(destination.Length, Available);
            _bytes.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            if (_start == _end) _start = _end = 0;
            return n;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_bytes is null, this);
            if (_end + buffer.Length > _bytes.Length) Grow(_end + buffer.Length);
            buffer.CopyTo(_bytes.AsSpan(_end));
            _end += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        // Rare: only if a caller writes more than one chunk between two reads.
        void Grow(int needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(needed);
            _bytes.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_bytes!, clearArray: true);
            _bytes = larger;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => _bytes is not null;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _bytes is not null)
            {
                ArrayPool<byte>.Shared.Return(_bytes, clearArray: true);
                _bytes = null;
            }
            base.Dispose(disposing);
        }
    }
}
