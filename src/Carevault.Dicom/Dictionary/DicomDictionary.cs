namespace Carevault.Dicom.Dictionary;

/// <summary>
/// Tag → VR for implicit-VR data sets. The table (DicomDictionary.Generated.cs) is generated from DCMTK's
/// dicom.dic so that implicit-VR parsing agrees with dcmdump; it costs ~30 KB of read-only data and no allocation.
/// </summary>
internal static partial class DicomDictionary
{
    /// <summary>The VR of <paramref name="tag"/>, or <see cref="DicomVR.None"/> when unknown (read as UN).</summary>
    public static DicomVR Lookup(DicomTag tag)
    {
        var group = tag.Group;
        var element = tag.Element;
        if (element == 0x0000)
        {
            return DicomVR.UL; // PS3.5 §7.2: group length
        }

        if ((group & 1) == 1)
        {
            // PS3.5 §7.8.1: (gggg,0010-00FF) in a private group reserve blocks; their value is the creator (LO).
            return element is >= 0x0010 and <= 0x00FF ? DicomVR.LO : DicomVR.None;
        }

        var index = Tags.BinarySearch(tag.Value);
        if (index >= 0)
        {
            return (DicomVR)Vrs[index];
        }

        // Repeating groups (PS3.5 §7.6): curves 50xx, overlays 60xx, variable pixel data 7Fxx; (0020,31xx).
        var masked = (ushort)(group & 0xFF00);
        if (masked is 0x5000 or 0x6000 or 0x7F00 && group != 0x7FE0)
        {
            index = Tags.BinarySearch(((uint)masked << 16) | element);
            return index >= 0 ? (DicomVR)Vrs[index] : DicomVR.None;
        }

        return group == 0x0020 && (element & 0xFF00) == 0x3100 ? DicomVR.CS : DicomVR.None;
    }

    /// <summary>
    /// True when some standard tag uses this group. Used, as DCMTK's transfer-syntax guess does, to tell
    /// byte orders apart in a data set without file meta information.
    /// </summary>
    public static bool IsKnownGroup(ushort group)
    {
        if ((group & 1) == 1)
        {
            return false;
        }

        var masked = (ushort)(group & 0xFF00);
        if (masked is 0x5000 or 0x6000 or 0x7F00 || group == 0xFFFE)
        {
            return true;
        }

        var tags = Tags;
        var index = tags.BinarySearch((uint)group << 16);
        if (index < 0)
        {
            index = ~index;
        }

        return index < tags.Length && (tags[index] >> 16) == group;
    }
}
