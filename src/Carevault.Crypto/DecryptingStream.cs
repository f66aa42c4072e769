using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Carevault.Crypto;

/// <summary>
/// A read-only stream of the plaintext of an encrypted blob. It reads one chunk at a time and releases a chunk's
/// plaintext only after that chunk's tag has verified, so a reader never sees unauthenticated bytes; memory is
/// two chunk buffers whatever the size.
/// <para>
/// Seekable when the source is seekable or was opened with an offset callback: a seek moves to the chunk
/// covering the position, so a byte range costs the chunks it touches (ASP.NET Core's range processing can use
/// this stream directly). A range read authenticates the chunks it returns — their content and position in this
/// object — but not that later chunks exist; reading to the end checks that.
/// </para>
/// </summary>
public sealed class DecryptingStream : Stream
{
    private readonly CiphertextSource _source;
    private readonly BlobHeader _header;
    private readonly long _bodyOffset;
    private readonly int _chunkSize;
    private readonly AesGcm _aes;
    private readonly byte[] _nonce = new byte[BlobFormat.NonceSize];
    private readonly byte[] _aad = new byte[BlobFormat.ChunkAadSize];
    private byte[]? _record; // one chunk record plus one look-ahead byte
    private byte[]? _plain;
    private int _plainOffset;
    private int _plainCount;
    private long _chunkIndex;      // next chunk to read
    private long _loadedChunk = -1; // chunk whose plaintext is in _plain
    private bool _loadedFinal;
    private int _carry = -1;       // look-ahead byte: first byte of the next record
    private bool _eof;
    private bool _needsSeek;
    private int _skip;             // plaintext bytes to skip in the next chunk (after a seek)
    private int _fillStart;
    private long _position;
    private long _length = -1;
    private BlobCryptoException? _fault;
    private bool _disposed;

    private DecryptingStream(CiphertextSource source, BlobHeader header, long bodyOffset, MasterKeyRing keys)
    {
        _source = source;
        _header = header;
        _bodyOffset = bodyOffset;
        _chunkSize = header.ChunkSize;
        Span<byte> dataKey = stackalloc byte[BlobFormat.DataKeySize];
        try
        {
            header.UnwrapDataKey(keys, dataKey);
            _aes = new AesGcm(dataKey, BlobFormat.TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        _record = ArrayPool<byte>.Shared.Rent(_chunkSize + BlobFormat.TagSize + 1);
        _plain = ArrayPool<byte>.Shared.Rent(_chunkSize);
    }

    /// <summary>The blob's header.</summary>
    public BlobHeader Header => _header;

    /// <summary>
    /// Opens <paramref name="ciphertext"/> (positioned at the start of the object) and unwraps its data key.
    /// </summary>
    /// <exception cref="BlobCryptoException">Not a blob, malformed header, unknown key id, or unwrap failed.</exception>
    public static DecryptingStream Open(Stream ciphertext, MasterKeyRing keys, BlobDecryptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(keys);
        options ??= new BlobDecryptionOptions();
        var source = new CiphertextSource(ciphertext, options.LeaveOpen);
        try
        {
            BlobHeader header;
            if (options.DetachedHeader is { } detached)
            {
                header = BlobHeader.Parse(detached.Span);
            }
            else
            {
                Span<byte> bytes = stackalloc byte[BlobFormat.HeaderSize];
                int n = source.ReadFully(bytes);
                header = BlobHeader.Parse(bytes[..n]);
            }

            return new DecryptingStream(source, header, options.DetachedHeader is null ? BlobFormat.HeaderSize : 0, keys);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <inheritdoc cref="Open"/>
    public static Task<DecryptingStream> OpenAsync(
        Stream ciphertext, MasterKeyRing keys, BlobDecryptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        return OpenCoreAsync(new CiphertextSource(ciphertext, options?.LeaveOpen ?? false), keys, options, cancellationToken);
    }

    /// <summary>
    /// Opens a stored object through <paramref name="openAt"/>, which returns a stream of the object from a byte
    /// offset to its end (e.g. an S3 GET with <c>Range: bytes=offset-</c>); it is called again after each seek.
    /// <paramref name="storedLength"/> is the object's size (body only when the header is detached).
    /// </summary>
    public static Task<DecryptingStream> OpenAsync(
        Func<long, CancellationToken, Task<Stream>> openAt,
        long storedLength,
        MasterKeyRing keys,
        BlobDecryptionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openAt);
        ArgumentOutOfRangeException.ThrowIfNegative(storedLength);
        return OpenCoreAsync(new CiphertextSource(openAt, storedLength), keys, options, cancellationToken);
    }

    private static async Task<DecryptingStream> OpenCoreAsync(
        CiphertextSource source, MasterKeyRing keys, BlobDecryptionOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        try
        {
            BlobHeader header;
            if (options?.DetachedHeader is { } detached)
            {
                header = BlobHeader.Parse(detached.Span);
            }
            else
            {
                var bytes = new byte[BlobFormat.HeaderSize];
                int n = await source.ReadFullyAsync(bytes, cancellationToken).ConfigureAwait(false);
                header = BlobHeader.Parse(bytes.AsSpan(0, n));
            }

            return new DecryptingStream(source, header, options?.DetachedHeader is null ? BlobFormat.HeaderSize : 0, keys);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed && _source.CanSeek;

    public override bool CanWrite => false;

    /// <summary>Plaintext length, from the stored length (seekable sources only).</summary>
    public override long Length
    {
        get
        {
            if (_length < 0)
            {
                if (!_source.CanSeek)
                {
                    throw new NotSupportedException("The length is known only for a seekable source.");
                }

                long length = BlobFormat.GetPlaintextLength(_source.Length - _bodyOffset, _chunkSize);
                if (length < 0)
                {
                    BlobCryptoException.Throw(BlobCryptoError.Truncated, "The encrypted blob ends inside a chunk tag.");
                }

                _length = length;
            }

            return _length;
        }
    }

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ThrowIfUnusable();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_plainOffset == _plainCount)
        {
            if (_eof)
            {
                return 0;
            }

            if (_needsSeek)
            {
                _source.Seek(_bodyOffset + BlobFormat.GetChunkBodyOffset(_chunkIndex, _chunkSize));
                _needsSeek = false;
            }

            int filled = FillRecord(_source.ReadFully(RecordFillTarget().Span));
            if (TryOpenDirect(filled, buffer, out int direct))
            {
                return direct;
            }
        }

        return CopyOut(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_plainOffset == _plainCount)
        {
            if (_eof)
            {
                return 0;
            }

            if (_needsSeek)
            {
                await _source.SeekAsync(_bodyOffset + BlobFormat.GetChunkBodyOffset(_chunkIndex, _chunkSize), cancellationToken)
                    .ConfigureAwait(false);
                _needsSeek = false;
            }

            int filled = FillRecord(await _source.ReadFullyAsync(RecordFillTarget(), cancellationToken).ConfigureAwait(false));
            if (TryOpenDirect(filled, buffer.Span, out int direct))
            {
                return direct;
            }
        }

        return CopyOut(buffer.Span);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfUnusable();
        if (!_source.CanSeek)
        {
            throw new NotSupportedException("The source is not seekable.");
        }

        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));

        _position = target;
        long chunk = target / _chunkSize;
        int within = (int)(target % _chunkSize);
        if (chunk == _loadedChunk && within < _plainCount)
        {
            // Still inside the chunk already verified and buffered.
            _plainOffset = within;
            _eof = _loadedFinal;
            return target;
        }

        _plainOffset = _plainCount = 0;
        _loadedChunk = -1;
        _carry = -1;
        _chunkIndex = chunk;
        _skip = within;
        _needsSeek = true;
        _eof = target >= Length;
        return target;
    }

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
            ReleaseBuffers();
            _aes.Dispose();
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            ReleaseBuffers();
            _aes.Dispose();
            await _source.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Where the next record is read to: after the carried look-ahead byte, one record plus one byte.</summary>
    private Memory<byte> RecordFillTarget()
    {
        int start = 0;
        if (_carry >= 0)
        {
            _record![0] = (byte)_carry;
            _carry = -1;
            start = 1;
        }

        _fillStart = start;
        return _record.AsMemory(start, _chunkSize + BlobFormat.TagSize + 1 - start);
    }

    /// <summary>Bytes in the record buffer after a fill: the carried byte, if any, and what was read.</summary>
    private int FillRecord(int read) => _fillStart + read;

    /// <summary>
    /// Verifies and decrypts the filled record, straight into <paramref name="buffer"/> when it can hold the whole
    /// chunk (no copy), else into the internal plaintext buffer (then returns false).
    /// </summary>
    private bool TryOpenDirect(int filled, Span<byte> buffer, out int count)
    {
        bool direct = _skip == 0 && buffer.Length >= _chunkSize;
        var target = direct ? buffer : _plain.AsSpan(0, _chunkSize);
        bool final = OpenRecord(filled, target, out int length);
        if (direct)
        {
            _loadedChunk = -1;
            _plainOffset = _plainCount = 0;
            _eof = final;
            _position += length;
            count = length;
            return true;
        }

        _loadedChunk = _chunkIndex - 1;
        _loadedFinal = final;
        _eof = final;
        _plainCount = length;
        _plainOffset = Math.Min(_skip, length);
        _skip = 0;
        count = 0;
        return false;
    }

    private int CopyOut(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _plainCount - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        _position += n;
        return n;
    }

    /// <summary>
    /// Authenticates and decrypts the record of chunk <see cref="_chunkIndex"/> (<paramref name="filled"/> bytes in
    /// the record buffer, look-ahead byte included) into <paramref name="target"/>. Returns whether it was final.
    /// </summary>
    private bool OpenRecord(int filled, Span<byte> target, out int length)
    {
        var record = _record!;
        int fullRecord = _chunkSize + BlobFormat.TagSize;
        bool final;
        int recordLength;
        if (filled > fullRecord)
        {
            // A byte follows this record, so it must not be the final chunk.
            final = false;
            recordLength = fullRecord;
            _carry = record[fullRecord];
        }
        else
        {
            final = true;
            recordLength = filled;
            if (recordLength < BlobFormat.TagSize)
            {
                Fail(BlobCryptoError.Truncated, "The encrypted blob ends before its final chunk.");
            }
        }

        if (_chunkIndex >= BlobFormat.MaxChunkCount)
        {
            Fail(BlobCryptoError.TrailingData, "The encrypted blob has more chunks than the format allows.");
        }

        length = recordLength - BlobFormat.TagSize;
        var ciphertext = record.AsSpan(0, length);
        var tag = record.AsSpan(length, BlobFormat.TagSize);
        var plaintext = target[..length];
        if (!TryDecrypt(ciphertext, tag, plaintext, final))
        {
            OnChunkFailure(ciphertext, tag, plaintext, final);
        }

        _chunkIndex++;
        return final;
    }

    private bool TryDecrypt(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, bool final)
    {
        BlobFormat.ChunkNonce(_header.NoncePrefix, _chunkIndex, _nonce);
        BlobFormat.ChunkAad(_header.Hash, _chunkIndex, final, _aad);
        try
        {
            _aes.Decrypt(_nonce, ciphertext, tag, plaintext, _aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // AesGcm has already zeroed the plaintext.
            return false;
        }
    }

    /// <summary>Rare path: name the failure. A chunk that verifies with the other final flag shows a cut or an append.</summary>
    [DoesNotReturn]
    private void OnChunkFailure(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, bool final)
    {
        bool verifiesOtherwise = TryDecrypt(ciphertext, tag, plaintext, !final);
        CryptographicOperations.ZeroMemory(plaintext);
        if (verifiesOtherwise)
        {
            Fail(final ? BlobCryptoError.Truncated : BlobCryptoError.TrailingData,
                final
                    ? "The encrypted blob ends after a chunk that was not sealed as final: chunks are missing."
                    : "Bytes follow the chunk sealed as final.");
        }

        Fail(BlobCryptoError.ChunkAuthenticationFailed,
            "A chunk failed authentication: it was altered, moved, duplicated or belongs to another object.");
    }

    [DoesNotReturn]
    private void Fail(BlobCryptoError error, string message)
    {
        _fault = new BlobCryptoException(error, message) { ChunkIndex = _chunkIndex };
        _plainOffset = _plainCount = 0;
        throw _fault;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is not null)
        {
            // A failed stream stays failed: nothing after an unverified chunk is ever released.
            BlobCryptoException.Throw(_fault.Error, _fault.Message, _fault.ChunkIndex);
        }
    }

    private void ReleaseBuffers()
    {
        if (_record is not null)
        {
            ArrayPool<byte>.Shared.Return(_record, clearArray: true);
            _record = null;
        }

        if (_plain is not null)
        {
            ArrayPool<byte>.Shared.Return(_plain, clearArray: true);
            _plain = null;
        }
    }
}
