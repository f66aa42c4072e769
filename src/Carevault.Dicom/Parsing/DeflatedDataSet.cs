using System.IO.Compression;

namespace Carevault.Dicom.Parsing;

/// <summary>
/// Inflates a deflated data set on demand, keeping what was inflated so far. Corrupt input ends the data where
/// the damage starts (the parse then reports a truncation); no output at all is an invalid deflate stream.
/// Some writers wrongly add a zlib header (78 xx): that is tried when raw deflate fails at once.
/// </summary>
internal sealed class DeflatedDataSet(byte[] compressed) : IDisposable
{
    private Stream? _inflater;
    private byte[] _buffer = [];
    private int _length;
    private bool _triedZlib;

    public bool Finished { get; private set; }

    public ReadOnlyMemory<byte> Inflated => _buffer.AsMemory(0, _length);

    /// <summary>Inflates until at least <paramref name="target"/> bytes exist or the stream ends.</summary>
    public DicomErrorCode? InflateTo(long target, long maxLength)
    {
        _inflater ??= new DeflateStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
        while (!Finished && _length < target)
        {
            if (_length == _buffer.Length)
            {
                if (_length >= maxLength)
                {
                    return DicomErrorCode.InputTooLarge;
                }

                var size = (int)Math.Min(Math.Min(Math.Max(16 * 1024, (long)_buffer.Length * 2), maxLength), Array.MaxLength);
                Array.Resize(ref _buffer, size);
            }

            int read;
            try
            {
                read = _inflater.Read(_buffer, _length, _buffer.Length - _length);
            }
            catch (InvalidDataException)
            {
                if (_length == 0 && !_triedZlib && compressed.Length >= 2 && compressed[0] == 0x78)
                {
                    _triedZlib = true;
                    _inflater.Dispose();
                    _inflater = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
                    continue;
                }

                if (_length == 0)
                {
                    return DicomErrorCode.InvalidDeflate;
                }

                read = 0;
            }

            if (read == 0)
            {
                Finished = true;
            }

            _length += read;
        }

        return null;
    }

    public void Dispose() => _inflater?.Dispose();
}
