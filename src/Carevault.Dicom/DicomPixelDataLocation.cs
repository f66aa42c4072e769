namespace Carevault.Dicom;

/// <summary>Where the top-level Pixel Data (7FE0,0010) value lies. Pixel data are located, never decoded.</summary>
public sealed record DicomPixelDataLocation
{
    /// <summary>Offset of the first value byte: in the file, or in the inflated data set when <see cref="InInflatedData"/>.</summary>
    public required long Offset { get; init; }

    /// <summary>Value length; for encapsulated data the bytes of all fragments and the sequence delimiter.</summary>
    public required long Length { get; init; }

    /// <summary>The VR (OB or OW; OW in implicit VR, per the dictionary).</summary>
    public required DicomVR VR { get; init; }

    /// <summary>True for undefined-length pixel data in fragments (compressed transfer syntaxes).</summary>
    public bool IsEncapsulated { get; init; }

    /// <summary>Number of fragments including the basic offset table; 0 for native pixel data.</summary>
    public int FragmentCount { get; init; }

    /// <summary>True when offsets count bytes of the inflated data set (deflated transfer syntax).</summary>
    public bool InInflatedData { get; init; }

    internal static DicomPixelDataLocation From(in DicomElement element, bool inInflatedData) => new()
    {
        Offset = element.ValueOffset,
        Length = element.Length,
        VR = element.VR,
        IsEncapsulated = element.IsUndefinedLength,
        FragmentCount = element.FragmentCount,
        InInflatedData = inInflatedData,
    };
}
