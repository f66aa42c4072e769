namespace Carevault.Dicom;

/// <summary>How a data set is encoded (PS3.5 §10 and Annex A), derived from the Transfer Syntax UID.</summary>
/// <param name="Uid">The UID as found in the file meta information, or null when guessed from the data set.</param>
/// <param name="IsExplicitVR">True when each element carries its VR.</param>
/// <param name="IsBigEndian">True for the retired explicit VR big endian syntax.</param>
/// <param name="IsDeflated">True when the data set after the meta information is a raw deflate stream (RFC 1951).</param>
/// <param name="IsEncapsulated">True when pixel data are compressed fragments (JPEG, JPEG-LS, JPEG 2000, RLE, …).</param>
public sealed record DicomTransferSyntax(string? Uid, bool IsExplicitVR, bool IsBigEndian, bool IsDeflated, bool IsEncapsulated)
{
#pragma warning disable CS1591 // PS3.6 Annex A names
    public const string ImplicitVRLittleEndianUid = "1.2.840.10008.1.2";
    public const string ExplicitVRLittleEndianUid = "1.2.840.10008.1.2.1";
    public const string ExplicitVRBigEndianUid = "1.2.840.10008.1.2.2";
    public const string DeflatedExplicitVRLittleEndianUid = "1.2.840.10008.1.2.1.99";
    public const string RleLosslessUid = "1.2.840.10008.1.2.5";
#pragma warning restore CS1591

    /// <summary>
    /// Maps a UID to its encoding. Unknown UIDs are read as explicit VR little endian with encapsulated pixel
    /// data: every compressed syntax PS3.5 defines since 1993 is encoded that way, and undefined-length pixel
    /// data in a native syntax is read as fragments anyway.
    /// </summary>
    public static DicomTransferSyntax FromUid(string uid) => uid switch
    {
        ImplicitVRLittleEndianUid => new(uid, IsExplicitVR: false, IsBigEndian: false, IsDeflated: false, IsEncapsulated: false),
        ExplicitVRLittleEndianUid => new(uid, IsExplicitVR: true, IsBigEndian: false, IsDeflated: false, IsEncapsulated: false),
        ExplicitVRBigEndianUid => new(uid, IsExplicitVR: true, IsBigEndian: true, IsDeflated: false, IsEncapsulated: false),
        DeflatedExplicitVRLittleEndianUid => new(uid, IsExplicitVR: true, IsBigEndian: false, IsDeflated: true, IsEncapsulated: false),
        _ => new(uid, IsExplicitVR: true, IsBigEndian: false, IsDeflated: false, IsEncapsulated: true),
    };
}
