namespace Carevault.Dicom;

/// <summary>
/// One element as found in the data: where its value lies, not the value itself. Read the value with
/// <see cref="DicomFile.GetValue(DicomElement)"/> or <see cref="DicomFile.GetString(DicomDataset, DicomTag)"/>.
/// </summary>
public readonly record struct DicomElement
{
    /// <summary>The tag.</summary>
    public required DicomTag Tag { get; init; }

    /// <summary>The VR read from the file (explicit VR, possibly non-standard) or the dictionary (implicit VR).</summary>
    public required DicomVR VR { get; init; }

    /// <summary>Offset of the element's first header byte in its buffer (the file, or the inflated data set).</summary>
    public required int HeaderOffset { get; init; }

    /// <summary>Offset of the first value byte.</summary>
    public required int ValueOffset { get; init; }

    /// <summary>
    /// Value length in bytes. For undefined-length sequences and encapsulated pixel data: the bytes up to and
    /// including the sequence delimiter. For a value located beyond the input read so far (pixel data of a
    /// stream, <see cref="DicomReaderOptions.StopAtPixelData"/>): the declared length.
    /// </summary>
    public required long Length { get; init; }

    /// <summary>True when the header declared undefined length (FFFFFFFFH).</summary>
    public bool IsUndefinedLength { get; init; }

    /// <summary>The items of a sequence; null for other elements.</summary>
    public IReadOnlyList<DicomDataset>? Items { get; init; }

    /// <summary>Number of fragments (basic offset table included) of encapsulated pixel data; 0 otherwise.</summary>
    public int FragmentCount { get; init; }
}
