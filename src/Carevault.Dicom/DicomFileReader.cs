using Carevault.Dicom.Parsing;

namespace Carevault.Dicom;

/// <summary>
/// Reads a whole DICOM Part 10 file (or a bare data set, as dcmdump does) into a <see cref="DicomFile"/>: the
/// element tree with sequences, items and fragment counts, values left in the caller's memory.
/// </summary>
public static class DicomFileReader
{
    /// <summary>Parses <paramref name="data"/>; the returned file refers to it, so keep it alive and unchanged.</summary>
    public static DicomReadResult<DicomFile> Read(ReadOnlyMemory<byte> data, DicomReaderOptions? options = null)
    {
        var parsed = DicomFileParser.Parse(data.Span, options ?? DicomReaderOptions.Default, data.Length);
        var file = new DicomFile(data, parsed);
        return parsed.Error is { } error ? DicomReadResult<DicomFile>.Failure(error, file) : DicomReadResult<DicomFile>.Success(file);
    }
}
