using System.Text;

namespace Carevault.Hl7v2;

/// <summary>
/// Maps MSH-18 (HL7 table 0211) to a .NET encoding. UTF-8 is the default when MSH-18 is empty (HL7 v2.8 prefers
/// UTF-8, and the senders we see put raw UTF-8 in messages that declare nothing). "ASCII" decodes as UTF-8: ASCII is a
/// subset, and a mislabelled byte then survives as a character instead of turning into '?'.
/// </summary>
public static class Hl7CharacterSets
{
    /// <summary>Resolves an MSH-18 value (first repetition) to an encoding.</summary>
    public static Encoding Resolve(string? name, out Hl7CharacterSetSupport support)
    {
        support = Hl7CharacterSetSupport.Known;
        switch (name?.Trim().ToUpperInvariant())
        {
            case null or "":
            case "ASCII":
            case "UNICODE UTF-8":
            case "UTF-8":
            case "UTF8":
            case "ISO_IR 192":
                return Utf8;
            case "8859/1":
            case "ISO-8859-1":
            case "ISO_IR 100":
                return Encoding.Latin1;
            case "UNICODE":
            case "UNICODE UTF-16":
            case "UNICODE UTF-32":
                support = Hl7CharacterSetSupport.Unsupported;
                return Utf8;
            default:
                support = Hl7CharacterSetSupport.Unknown;
                return Utf8;
        }
    }

    /// <summary>UTF-8 without a BOM preamble; invalid sequences decode to U+FFFD instead of throwing.</summary>
    internal static Encoding Utf8 { get; } = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
}

/// <summary>How an MSH-18 character set name was understood.</summary>
public enum Hl7CharacterSetSupport
{
    /// <summary>Known and decoded exactly.</summary>
    Known,

    /// <summary>Not known; decoded as UTF-8.</summary>
    Unknown,

    /// <summary>Cannot be read byte-wise (UTF-16/UTF-32): the delimiters would not be single bytes.</summary>
    Unsupported,
}
