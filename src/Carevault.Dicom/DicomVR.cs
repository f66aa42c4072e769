namespace Carevault.Dicom;

/// <summary>
/// Value Representation (PS3.5 §6.2), stored as its two ASCII characters (<c>first &lt;&lt; 8 | second</c>) so
/// that the two bytes read from an explicit-VR element map to a value without a lookup.
/// </summary>
#pragma warning disable CA1028 // the underlying type is the wire encoding
#pragma warning disable CS1591 // the names are the PS3.5 VR codes
public enum DicomVR : ushort
{
    /// <summary>No VR: item and delimitation tags, or a tag missing from the dictionary in implicit VR (read as UN).</summary>
    None = 0,
    AE = ('A' << 8) | 'E', AS = ('A' << 8) | 'S', AT = ('A' << 8) | 'T', CS = ('C' << 8) | 'S',
    DA = ('D' << 8) | 'A', DS = ('D' << 8) | 'S', DT = ('D' << 8) | 'T', FD = ('F' << 8) | 'D',
    FL = ('F' << 8) | 'L', IS = ('I' << 8) | 'S', LO = ('L' << 8) | 'O', LT = ('L' << 8) | 'T',
    OB = ('O' << 8) | 'B', OD = ('O' << 8) | 'D', OF = ('O' << 8) | 'F', OL = ('O' << 8) | 'L',
    OV = ('O' << 8) | 'V', OW = ('O' << 8) | 'W', PN = ('P' << 8) | 'N', SH = ('S' << 8) | 'H',
    SL = ('S' << 8) | 'L', SQ = ('S' << 8) | 'Q', SS = ('S' << 8) | 'S', ST = ('S' << 8) | 'T',
    SV = ('S' << 8) | 'V', TM = ('T' << 8) | 'M', UC = ('U' << 8) | 'C', UI = ('U' << 8) | 'I',
    UL = ('U' << 8) | 'L', UN = ('U' << 8) | 'N', UR = ('U' << 8) | 'R', US = ('U' << 8) | 'S',
    UT = ('U' << 8) | 'T', UV = ('U' << 8) | 'V',
}
#pragma warning restore CS1591
#pragma warning restore CA1028

/// <summary>Facts about VRs that the reader needs.</summary>
public static class DicomVRExtensions
{
    /// <summary>True for the VRs defined in PS3.5 (2024); anything else read from a file is non-standard.</summary>
    public static bool IsStandard(this DicomVR vr) => vr switch
    {
        DicomVR.AE or DicomVR.AS or DicomVR.AT or DicomVR.CS or DicomVR.DA or DicomVR.DS or DicomVR.DT
            or DicomVR.FD or DicomVR.FL or DicomVR.IS or DicomVR.LO or DicomVR.LT or DicomVR.OB or DicomVR.OD
            or DicomVR.OF or DicomVR.OL or DicomVR.OV or DicomVR.OW or DicomVR.PN or DicomVR.SH or DicomVR.SL
            or DicomVR.SQ or DicomVR.SS or DicomVR.ST or DicomVR.SV or DicomVR.TM or DicomVR.UC or DicomVR.UI
            or DicomVR.UL or DicomVR.UN or DicomVR.UR or DicomVR.US or DicomVR.UT or DicomVR.UV => true,
        _ => false,
    };

    /// <summary>
    /// PS3.5 §7.1.2: these VRs have 2 reserved bytes and a 4-byte length in explicit VR. As DCMTK does, a
    /// non-standard VR is also read with the 4-byte form (its "assuming 4 byte length field" warning).
    /// </summary>
    public static bool HasLongLength(this DicomVR vr) => vr switch
    {
        DicomVR.OB or DicomVR.OD or DicomVR.OF or DicomVR.OL or DicomVR.OV or DicomVR.OW or DicomVR.SQ
            or DicomVR.SV or DicomVR.UC or DicomVR.UN or DicomVR.UR or DicomVR.UT or DicomVR.UV => true,
        _ => !vr.IsStandard(),
    };

    /// <summary>True for character-string VRs whose bytes are decoded through the Specific Character Set.</summary>
    public static bool IsText(this DicomVR vr) => vr switch
    {
        DicomVR.AE or DicomVR.AS or DicomVR.CS or DicomVR.DA or DicomVR.DS or DicomVR.DT or DicomVR.IS
            or DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.TM or DicomVR.UC
            or DicomVR.UI or DicomVR.UR or DicomVR.UT => true,
        _ => false,
    };

    /// <summary>The two-character code, or "??" when the bytes are not printable.</summary>
    public static string ToCode(this DicomVR vr)
    {
        var a = (char)((ushort)vr >> 8);
        var b = (char)((ushort)vr & 0xFF);
        return char.IsAsciiLetterOrDigit(a) && char.IsAsciiLetterOrDigit(b) ? new string([a, b]) : "??";
    }
}
