using Carevault.Dicom.Text;

namespace Carevault.Dicom;

/// <summary>A data set or sequence item: its elements in file order and the character set its text uses.</summary>
public sealed class DicomDataset
{
    private readonly List<DicomElement> _elements = [];

    internal DicomDataset(DicomCharacterSet characterSet, bool inInflatedData, bool isBigEndian)
    {
        CharacterSet = characterSet;
        InInflatedData = inInflatedData;
        IsBigEndian = isBigEndian;
    }

    /// <summary>The elements in the order read.</summary>
    public IReadOnlyList<DicomElement> Elements => _elements;

    /// <summary>True when offsets refer to the inflated data set of a deflated file rather than the file.</summary>
    public bool InInflatedData { get; }

    /// <summary>True when binary values are big endian.</summary>
    public bool IsBigEndian { get; }

    /// <summary>The Specific Character Set in force: this item's (0008,0005), else the enclosing one's.</summary>
    internal DicomCharacterSet CharacterSet { get; set; }

    /// <summary>Finds the first element with <paramref name="tag"/>.</summary>
    public bool TryGetElement(DicomTag tag, out DicomElement element)
    {
        foreach (var candidate in _elements)
        {
            if (candidate.Tag == tag)
            {
                element = candidate;
                return true;
            }
        }

        element = default;
        return false;
    }

    internal void Add(in DicomElement element) => _elements.Add(element);
}
