using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Carevault.Crypto;

/// <summary>
/// A write-only stream that encrypts what is written into chunks on <paramref name="destination"/> with a
/// fresh data key wrapped by the ring's active master key. Memory is one chunk buffer whatever the size.
/// <para>
/// Call <see cref="Complete"/> or <see cref="CompleteAsync"/> at the end: only they seal the final chunk.
/// Disposing without completing (e.g. because the upload failed) leaves an object that decryption rejects as
/// <see cref="BlobCryptoError.Truncated"/> — a failed upload can never pass for a shorter, complete one.
/// </para>
/// </summary>
public sealed class EncryptingStream : Stream
{
    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly bool _detachedHeader;
    private readonly BlobHeader _header;
    private readonly int _chunkSize;
    private readonly AesGcm _aes;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _nonce = new byte[BlobFormat.NonceSize];
    private readonly byte[] _aad = new byte[BlobFormat.ChunkAadSize];
    private byte[]? _buffer; // chunk plaintext, sealed in place; tag appended after it
    private int _buffered;
    private long _chunkIndex;
    private long _plaintextLength;
    private long _written;
    private bool _headerWritten;
    private BlobEncryptionResult? _result;
    private bool _disposed;

    public EncryptingStream(Stream destination, MasterKeyRing keys, BlobEncryptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(keys);
        options ??= new BlobEncryptionOptions();
        BlobFormat.ValidateChunkSize(options.ChunkSize);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination must be writable.", nameof(destination));
        }

        _destination = destination;
        _leaveOpen = options.LeaveOpen;
        _detachedHeader = options.DetachedHeader;
        _chunkSize = options.ChunkSize;

        Span<byte> dataKey = stackalloc byte[BlobFormat.DataKeySize];
        try
        {
            RandomNumberGenerator.Fill(dataKey);
            _header = BlobHeader.Create(_chunkSize, keys.Active, dataKey);
            _aes = new AesGcm(dataKey, BlobFormat.TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        _buffer = ArrayPool<byte>.Shared.Rent(_chunkSize + BlobFormat.TagSize);
        _headerWritten = _detachedHeader;
    }

    /// <summary>The header of the object being written.</summary>
    public BlobHeader Header => _header;

    /// <summary>The result, once <see cref="Complete"/> or <see cref="CompleteAsync"/> has run.</summary>
    public BlobEncryptionResult? Result => _result;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_disposed && _result is null;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _plaintextLength;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var chunk = EnsureWritable();
        if (!_headerWritten)
        {
            WriteHeader();
        }

        while (!buffer.IsEmpty)
        {
            if (_buffered == _chunkSize)
            {
                // More plaintext follows, so the buffered chunk is not the final one.
                int length = Seal(chunk, final: false);
                _destination.Write(chunk, 0, length);
                _written += length;
            }

            int n = Math.Min(buffer.Length, _chunkSize - _buffered);
            buffer[..n].CopyTo(chunk.AsSpan(_buffered));
            _buffered += n;
            _plaintextLength += n;
            buffer = buffer[n..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var chunk = EnsureWritable();
        if (!_headerWritten)
        {
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
        }

        while (!buffer.IsEmpty)
        {
            if (_buffered == _chunkSize)
            {
                int length = Seal(chunk, final: false);
                await _destination.WriteAsync(chunk.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                _written += length;
            }

            int n = Math.Min(buffer.Length, _chunkSize - _buffered);
            buffer.Span[..n].CopyTo(chunk.AsSpan(_buffered));
            _buffered += n;
            _plaintextLength += n;
            buffer = buffer[n..];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Seals the final chunk, flushes the destination and returns the result.</summary>
    public BlobEncryptionResult Complete()
    {
        var chunk = EnsureWritable();
        if (!_headerWritten)
        {
            WriteHeader();
        }

        int length = Seal(chunk, final: true);
        _destination.Write(chunk, 0, length);
        _written += length;
        _destination.Flush();
        return Finish();
    }

    /// <summary>Seals the final chunk, flushes the destination and returns the result.</summary>
    public async Task<BlobEncryptionResult> CompleteAsync(CancellationToken cancellationToken = default)
    {
        var chunk = EnsureWritable();
        if (!_headerWritten)
        {
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
        }

        int length = Seal(chunk, final: true);
        await _destination.WriteAsync(chunk.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        _written += length;
        await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return Finish();
    }

    /// <summary>Flushes the destination. Does not seal the buffered chunk: only completing does.</summary>
    public override void Flush() => _destination.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _destination.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            ReleaseBuffer();
            _aes.Dispose();
            _sha256.Dispose();
            if (!_leaveOpen)
            {
                _destination.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            ReleaseBuffer();
            _aes.Dispose();
            _sha256.Dispose();
            if (!_leaveOpen)
            {
                await _destination.DisposeAsync().ConfigureAwait(false);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private byte[] EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_result is not null)
        {
            throw new InvalidOperationException("The encrypted blob is already complete.");
        }

        Debug.Assert(_buffer is not null);
        return _buffer;
    }

    /// <summary>Encrypts the buffered plaintext in place as chunk <see cref="_chunkIndex"/>; returns the record length.</summary>
    private int Seal(byte[] chunk, bool final)
    {
        if (_chunkIndex >= BlobFormat.MaxChunkCount)
        {
            throw new InvalidOperationException(
                $"An encrypted blob holds at most {BlobFormat.MaxChunkCount} chunks; use a larger chunk size.");
        }

        var plaintext = chunk.AsSpan(0, _buffered);
        _sha256.AppendData(plaintext);
        BlobFormat.ChunkNonce(_header.NoncePrefix, _chunkIndex, _nonce);
        BlobFormat.ChunkAad(_header.Hash, _chunkIndex, final, _aad);
        _aes.Encrypt(_nonce, plaintext, plaintext, chunk.AsSpan(_buffered, BlobFormat.TagSize), _aad);
        int length = _buffered + BlobFormat.TagSize;
        _buffered = 0;
        _chunkIndex++;
        return length;
    }

    private void WriteHeader()
    {
        _destination.Write(_header.Bytes);
        _written += BlobFormat.HeaderSize;
        _headerWritten = true;
    }

    private async ValueTask WriteHeaderAsync(CancellationToken cancellationToken)
    {
        await _destination.WriteAsync(_header.Memory, cancellationToken).ConfigureAwait(false);
        _written += BlobFormat.HeaderSize;
        _headerWritten = true;
    }

    private BlobEncryptionResult Finish()
    {
        _result = new BlobEncryptionResult
        {
            PlaintextLength = _plaintextLength,
            CiphertextLength = _written,
            PlaintextSha256 = _sha256.GetHashAndReset(),
            KeyId = _header.KeyId,
            Header = _header.Bytes.ToArray(),
        };
        ReleaseBuffer();
        return _result;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null)
        {
            // The buffer held patient data.
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = null;
        }
    }
}
