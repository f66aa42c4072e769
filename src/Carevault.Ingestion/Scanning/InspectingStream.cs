using Carevault.Ingestion.Intake;

namespace Carevault.Ingestion.Scanning;

/// <summary>
/// Sits between the upload and the encrypting blob writer and looks at every byte once as it passes: counts it
/// against the size limit, checks the first bytes against the declared format, searches for the EICAR string
/// (across read boundaries) and copies each chunk to clamd when a scan session is open. A refusal throws
/// <see cref="ContentRejectedException"/> from the read, so the blob writer stops and stores nothing.
/// Nothing is buffered beyond the 132-byte header and a 67-byte overlap.
/// </summary>
internal sealed class InspectingStream(Stream source, ReportFormat format, long maxBytes, ClamAvSession? clamAv) : Stream
{
    readonly byte[] _header = new byte[ContentSniffer.HeaderBytes];
    readonly byte[] _overlap = new byte[(Eicar.Length - 1) * 2];
    int _headerLength;
    int _tailLength;
    bool _sniffed;

    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await source.ReadAsync(buffer, cancellationToken);
        Inspect(buffer.Span[..n]);
        if (n > 0 && clamAv is not null) await clamAv.SendAsync(buffer[..n], cancellationToken);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Uploads are read asynchronously.");

    void Inspect(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            if (!_sniffed) Sniff();
            return;
        }
        BytesRead += chunk.Length;
        if (BytesRead > maxBytes)
            throw new ContentRejectedException(new IntakeError(IntakeErrorKind.TooLarge, "payload-too-large", $"Reports may be at most {maxBytes} bytes."));
        if (ContainsEicar(chunk))
            throw new ContentRejectedException(new IntakeError(IntakeErrorKind.Malware, "malware-detected", "The file carries the EICAR test signature and was refused."));
        if (!_sniffed)
        {
            var take = Math.Min(chunk.Length, _header.Length - _headerLength);
            chunk[..take].CopyTo(_header.AsSpan(_headerLength));
            _headerLength += take;
            if (_headerLength == _header.Length) Sniff();
        }
    }

    void Sniff()
    {
        _sniffed = true;
        if (!ContentSniffer.Matches(format, _header.AsSpan(0, _headerLength)))
            throw new ContentRejectedException(new IntakeError(IntakeErrorKind.ContentMismatch, "content-mismatch",
                $"The content is not {ReportFormats.Name(format)}: its first bytes do not match the declared Content-Type."));
    }

    /// <summary>Searches the chunk, and the seam between the previous chunk's tail and this chunk's head.</summary>
    bool ContainsEicar(ReadOnlySpan<byte> chunk)
    {
        if (Eicar.Contains(chunk)) return true;
        var keep = Eicar.Length - 1;
        var head = Math.Min(chunk.Length, keep);
        chunk[..head].CopyTo(_overlap.AsSpan(_tailLength));
        if (Eicar.Contains(_overlap.AsSpan(0, _tailLength + head))) return true;
        // The new tail: the last (Length-1) bytes seen so far.
        if (chunk.Length >= keep)
        {
            chunk[^keep..].CopyTo(_overlap);
            _tailLength = keep;
        }
        else
        {
            var combined = _tailLength + chunk.Length;
            var drop = Math.Max(0, combined - keep);
            _overlap.AsSpan(drop, combined - drop).CopyTo(_overlap);
            _tailLength = combined - drop;
        }
        return false;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
