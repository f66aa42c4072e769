using System.Buffers;
using Carevault.Dicom.Parsing;

namespace Carevault.Dicom;

/// <summary>
/// Extracts <see cref="DicomMetadata"/> from a DICOM file. Reading stops once the top-level Pixel Data is
/// located (elements after it are not metadata); from a stream only the bytes before the pixel data value are
/// read when the stream can seek (otherwise the rest is skipped through a small buffer to check its length).
/// </summary>
public static class DicomMetadataReader
{
    private const int FirstChunk = 64 * 1024;

    /// <summary>Reads metadata from bytes in memory.</summary>
    public static DicomReadResult<DicomMetadata> Read(ReadOnlySpan<byte> data, DicomReaderOptions? options = null)
    {
        var parsed = DicomFileParser.Parse(data, MetadataOptions(options), data.Length);
        return ToResult(parsed, data);
    }

    /// <summary>Reads metadata from a stream positioned at the start of the file; does not dispose it.</summary>
    public static DicomReadResult<DicomMetadata> Read(Stream stream, DicomReaderOptions? options = null)
    {
        var reader = new ChunkedInput(stream, MetadataOptions(options));
        try
        {
            while (true)
            {
                if (reader.ReadMore() is { } tooLarge)
                {
                    return DicomReadResult<DicomMetadata>.Failure(tooLarge, null);
                }

                if (reader.TryFinish(out var result))
                {
                    if (reader.NeedsDrain(result))
                    {
                        return ChunkedInput.CheckPixelDataAfterDrain(result, reader.Drain());
                    }

                    return result;
                }
            }
        }
        finally
        {
            reader.Dispose();
        }
    }

    /// <summary>Reads metadata from a stream positioned at the start of the file; does not dispose it.</summary>
    public static async Task<DicomReadResult<DicomMetadata>> ReadAsync(Stream stream, DicomReaderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var reader = new ChunkedInput(stream, MetadataOptions(options));
        try
        {
            while (true)
            {
                if (await reader.ReadMoreAsync(cancellationToken).ConfigureAwait(false) is { } tooLarge)
                {
                    return DicomReadResult<DicomMetadata>.Failure(tooLarge, null);
                }

                if (reader.TryFinish(out var result))
                {
                    if (reader.NeedsDrain(result))
                    {
                        return ChunkedInput.CheckPixelDataAfterDrain(result, await reader.DrainAsync(cancellationToken).ConfigureAwait(false));
                    }

                    return result;
                }
            }
        }
        finally
        {
            reader.Dispose();
        }
    }

    private static DicomReaderOptions MetadataOptions(DicomReaderOptions? options) =>
        (options ?? DicomReaderOptions.Default) with { StopAtPixelData = true };

    private static DicomReadResult<DicomMetadata> ToResult(ParsedFile parsed, ReadOnlySpan<byte> data)
    {
        if (parsed.Error is { Code: DicomErrorCode.NotDicom } notDicom)
        {
            return DicomReadResult<DicomMetadata>.Failure(notDicom, null);
        }

        var metadata = DicomMetadataExtractor.Extract(parsed, data);
        return parsed.Error is { } error
            ? DicomReadResult<DicomMetadata>.Failure(error, metadata)
            : DicomReadResult<DicomMetadata>.Success(metadata);
    }

    /// <summary>
    /// A growing rented buffer over the stream: parse what is there; when the parse ran out of bytes, read
    /// twice as much and parse again (O(n) bytes parsed overall).
    /// </summary>
    private sealed class ChunkedInput(Stream stream, DicomReaderOptions options) : IDisposable
    {
        private readonly long _knownLength = stream.CanSeek ? stream.Length - stream.Position : -1;
        private byte[] _buffer = [];
        private int _filled;
        private bool _eof;

        public DicomError? ReadMore()
        {
            if (Grow() is { } error)
            {
                return error;
            }

            while (_filled < _buffer.Length)
            {
                var read = stream.Read(_buffer, _filled, _buffer.Length - _filled);
                if (read == 0)
                {
                    _eof = true;
                    break;
                }

                _filled += read;
            }

            return null;
        }

        public async Task<DicomError?> ReadMoreAsync(CancellationToken cancellationToken)
        {
            if (Grow() is { } error)
            {
                return error;
            }

            while (_filled < _buffer.Length)
            {
                var read = await stream.ReadAsync(_buffer.AsMemory(_filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    _eof = true;
                    break;
                }

                _filled += read;
            }

            return null;
        }

        public bool TryFinish(out DicomReadResult<DicomMetadata> result)
        {
            var total = _eof ? _filled : _knownLength >= 0 ? _knownLength : long.MaxValue;
            var parsed = DicomFileParser.Parse(_buffer.AsSpan(0, _filled), options, total);
            var outOfData = !_eof && (parsed.NeedsMoreData || parsed.TransferSyntax.IsDeflated
                || parsed.Error is { Code: DicomErrorCode.TruncatedElement or DicomErrorCode.MissingDelimiter });
            result = ToResult(parsed, _buffer.AsSpan(0, _filled));
            return !outOfData;
        }

        /// <summary>A non-seekable stream whose pixel data lies past the buffer: its length is still unchecked.</summary>
        public bool NeedsDrain(DicomReadResult<DicomMetadata> result) =>
            !_eof && _knownLength < 0 && result.Value?.PixelData is { IsEncapsulated: false } pixels && pixels.Offset + pixels.Length > _filled;

        public long Drain()
        {
            var total = (long)_filled;
            var scratch = ArrayPool<byte>.Shared.Rent(81920);
            int read;
            while ((read = stream.Read(scratch, 0, scratch.Length)) > 0)
            {
                total += read;
            }

            ArrayPool<byte>.Shared.Return(scratch, clearArray: true);
            return total;
        }

        public async Task<long> DrainAsync(CancellationToken cancellationToken)
        {
            var total = (long)_filled;
            var scratch = ArrayPool<byte>.Shared.Rent(81920);
            int read;
            while ((read = await stream.ReadAsync(scratch.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            ArrayPool<byte>.Shared.Return(scratch, clearArray: true);
            return total;
        }

        public static DicomReadResult<DicomMetadata> CheckPixelDataAfterDrain(DicomReadResult<DicomMetadata> result, long total)
        {
            var pixels = result.Value!.PixelData!;
            if (pixels.Offset + pixels.Length <= total)
            {
                return result;
            }

            var header = pixels.Offset - (pixels.VR.HasLongLength() ? 12 : 8);
            var error = new DicomError(DicomErrorCode.TruncatedElement, header, DicomTags.PixelData,
                $"truncated element {DicomTags.PixelData} at offset {header}: value length {pixels.Length} exceeds the {total - pixels.Offset} bytes remaining");
            return DicomReadResult<DicomMetadata>.Failure(error, result.Value);
        }

        public void Dispose()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            }
        }

        private DicomError? Grow()
        {
            if (_eof)
            {
                return null;
            }

            var size = _buffer.Length == 0 ? FirstChunk : (long)_buffer.Length * 2;
            if (_buffer.Length >= options.MaxInputLength)
            {
                return new DicomError(DicomErrorCode.InputTooLarge, _filled, null, $"input exceeds {options.MaxInputLength} bytes");
            }

            size = Math.Min(size, Math.Min(options.MaxInputLength, Array.MaxLength));
            var next = ArrayPool<byte>.Shared.Rent((int)size);
            _buffer.AsSpan(0, _filled).CopyTo(next);
            Dispose();
            _buffer = next;
            return null;
        }
    }
}
