namespace Carevault.Dicom;

/// <summary>
/// A PN value (PS3.5 §6.2.1): up to three component groups (alphabetic, ideographic, phonetic) separated by
/// "=", each of five components separated by "^": family, given, middle, prefix, suffix.
/// </summary>
public sealed record DicomPersonName
{
    /// <summary>The decoded value as stored (first value only when multi-valued).</summary>
    public required string Raw { get; init; }

    /// <summary>Alphabetic family name.</summary>
    public string? FamilyName { get; init; }

    /// <summary>Alphabetic given name.</summary>
    public string? GivenName { get; init; }

    /// <summary>Alphabetic middle name.</summary>
    public string? MiddleName { get; init; }

    /// <summary>Alphabetic name prefix.</summary>
    public string? NamePrefix { get; init; }

    /// <summary>Alphabetic name suffix.</summary>
    public string? NameSuffix { get; init; }

    /// <summary>The ideographic group, components still joined by "^".</summary>
    public string? Ideographic { get; init; }

    /// <summary>The phonetic group, components still joined by "^".</summary>
    public string? Phonetic { get; init; }

    /// <summary>Splits a decoded PN value; null for an empty one.</summary>
    public static DicomPersonName? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var first = value.Split('\\')[0].Trim();
        var groups = first.Split('=');
        var components = groups[0].Split('^');
        return new DicomPersonName
        {
            Raw = first,
            FamilyName = Component(components, 0),
            GivenName = Component(components, 1),
            MiddleName = Component(components, 2),
            NamePrefix = Component(components, 3),
            NameSuffix = Component(components, 4),
            Ideographic = groups.Length > 1 ? NullIfEmpty(groups[1]) : null,
            Phonetic = groups.Length > 2 ? NullIfEmpty(groups[2]) : null,
        };
    }

    private static string? Component(string[] components, int index) =>
        index < components.Length ? NullIfEmpty(components[index]) : null;

    private static string? NullIfEmpty(string value)
    {
        var trimmed = value.Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }
}
