using Carevault.Dicom.Dictionary;

namespace Carevault.Dicom.Tests.Dictionary;

public sealed class DicomDictionaryTests
{
    [Theory]
    [InlineData(0x0008, 0x0016, DicomVR.UI)]
    [InlineData(0x0010, 0x0010, DicomVR.PN)]
    [InlineData(0x0040, 0xA730, DicomVR.SQ)]
    [InlineData(0x300A, 0x00B0, DicomVR.SQ)]
    [InlineData(0x7FE0, 0x0010, DicomVR.OW)]
    [InlineData(0x0028, 0x0106, DicomVR.US)] // "xs": US or SS, read as US as DCMTK does
    [InlineData(0x0018, 0x0000, DicomVR.UL)] // group length
    [InlineData(0x0029, 0x0010, DicomVR.LO)] // private creator
    [InlineData(0x6002, 0x3000, DicomVR.OW)] // overlay data, repeating group 60xx
    [InlineData(0x6002, 0x0010, DicomVR.US)]
    [InlineData(0x0020, 0x3105, DicomVR.CS)]
    [InlineData(0x0029, 0x1001, DicomVR.None)] // private element: unknown, read as UN
    [InlineData(0x0008, 0x0003, DicomVR.None)]
    public void Lookup_Tag_ReturnsDictionaryVR(int group, int element, DicomVR expected) =>
        Assert.Equal(expected, DicomDictionary.Lookup(new DicomTag((ushort)group, (ushort)element)));

    [Theory]
    [InlineData(0x0008, true)]
    [InlineData(0x0002, true)]
    [InlineData(0x6000, true)]
    [InlineData(0x0820, false)]
    [InlineData(0x2008, false)]
    [InlineData(0x0009, false)]
    public void IsKnownGroup_Group_MatchesTheStandard(int group, bool expected) =>
        Assert.Equal(expected, DicomDictionary.IsKnownGroup((ushort)group));
}
