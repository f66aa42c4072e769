using System.Buffers;
using System.Diagnostics;

namespace Carevault.Mllp;

/// <summary>What <see cref="MllpFrameReader.ReadAsync"/> found.</summary>
public enum MllpReadStatus
{
    /// <summary>A complete frame; <see cref="MllpReadResult.Message"/> holds its content.</summary>
    Message,

    /// <summary>The peer closed the connection (a partial frame, if any, is dropped).</summary>
    EndOfStream,

    /// <summary>A frame grew beyond the limit; the connection should be answered with a reject and closed.</summary>
    TooLarge,
}

/// <summary>One read: a message (valid until the next read), end of stream, or an oversize frame.</summary>
public readonly record struct MllpReadResult(MllpReadStatus Status, ReadOnlyMemory<byte> Message, int SkippedBytes);

/// <summary>
/// Reads MLLP frames from a stream. Bytes outside a frame (before VT, or between frames) are skipped and counted;
/// a VT inside an unfinished frame restarts the frame (the sender gave up on the previous one, MLLP R2 §1.4.2);
/// a frame's content grows in a pooled buffer up to <c>maxMessageBytes</c>. Several frames in one network read
/// and frames split across reads are both handled. The buffer is cleared when returned: it holds patient data.
/// </summary>
public sealed class MllpFrameReader : IDisposable
{
    private readonly Stream _stream;
    private readonly int _maxMessageBytes;
    private byte[] _buffer;
    private int _start; // first unconsumed byte
    private int _end;   // end of valid data

    /// <summary>Reads from <paramref name="stream"/>; the reader does not dispose it.</summary>
    public MllpFrameReader(Stream stream, int maxMessageBytes, int initialBufferBytes = 8192)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        _stream = stream;
        _maxMessageBytes = maxMessageBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(initialBufferBytes, 16, maxMessageBytes + 3));
    }

    /// <summary>Reads the next frame. The returned message stays valid until the next call or <see cref="Dispose"/>.</summary>
    public async ValueTask<MllpReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        int skipped = 0;
        int scanned = 0; // bytes after the VT already searched for FS CR
        while (true)
        {
            // Find the start block: everything before it is garbage.
            int vt = _buffer.AsSpan(_start, _end - _start).IndexOf(MllpFraming.StartBlock);
            if (vt < 0)
            {
                skipped += _end - _start;
                _start = _end = 0;
                scanned = 0;
            }
            else
            {
                skipped += vt;
                _start += vt;
                ReadOnlySpan<byte> content = _buffer.AsSpan(_start + 1, _end - _start - 1);
                int from = Math.Max(0, scanned - 1); // an FS seen last time may still need its CR
                int restartAt = content[from..].IndexOf(MllpFraming.StartBlock);
                restartAt = restartAt < 0 ? -1 : from + restartAt;
                int limit = restartAt < 0 ? content.Length : restartAt;
                int search = from;
                while (search < limit && content[search..limit].IndexOf(MllpFraming.EndBlock) is var fs and >= 0)
                {
                    int at = search + fs;
                    if (at + 1 >= content.Length)
                    {
                        break; // FS is the last byte so far: wait for the CR.
                    }

                    if (content[at + 1] == MllpFraming.CarriageReturn)
                    {
                        if (at > _maxMessageBytes)
                        {
                            return TooLarge(skipped);
                        }

                        var message = new ReadOnlyMemory<byte>(_buffer, _start + 1, at);
                        _start += at + 3;
                        return new MllpReadResult(MllpReadStatus.Message, message, skipped);
                    }

                    search = at + 1;
                }

                if (restartAt >= 0)
                {
                    // A new VT before this frame ended: drop the unfinished frame.
                    skipped += restartAt + 1;
                    _start += restartAt + 1;
                    scanned = 0;
                    continue;
                }

                scanned = content.Length;
                if (content.Length > _maxMessageBytes + 1)
                {
                    return TooLarge(skipped);
                }
            }

            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                skipped += _end - _start;
                _start = _end = 0;
                return new MllpReadResult(MllpReadStatus.EndOfStream, default, skipped);
            }
        }
    }

    private static MllpReadResult TooLarge(int skipped) => new(MllpReadStatus.TooLarge, default, skipped);

    /// <summary>Reads more bytes, compacting or growing the buffer first; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && _end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _buffer.AsSpan(_end - _start, _start).Clear();
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // Frame bytes (VT + content + FS CR) never exceed the limit + 3, and the limit is checked before growing further.
            int size = (int)Math.Min((long)_buffer.Length * 2, (long)_maxMessageBytes + 4);
            Debug.Assert(size > _buffer.Length, "a full buffer at the limit is reported as too large before filling");
            byte[] larger = ArrayPool<byte>.Shared.Rent(size);
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = larger;
        }

        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = [];
        }
    }
}
