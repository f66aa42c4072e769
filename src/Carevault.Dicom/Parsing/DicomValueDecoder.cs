using Carevault.Dicom.Text;

namespace Carevault.Dicom.Parsing;

internal static class DicomValueDecoder
{
    /// <summary>Decodes a text value; null when the element is missing from the buffer.</summary>
    public static string? DecodeText(ReadOnlySpan<byte> buffer, in DicomElement element, DicomCharacterSet characterSet)
    {
        if (element.ValueOffset + element.Length > buffer.Length || element.IsUndefinedLength)
        {
            return null;
        }

        var value = buffer.Slice(element.ValueOffset, (int)element.Length);

        // PS3.5 §6.2: values are padded to even length with a space (text) or NUL (UI); some writers pad with NUL.
        var trimmed = value.TrimEnd("\0 "u8);
        return characterSet.Decode(trimmed, element.VR == DicomVR.PN);
    }
}
