using System.Text;

namespace Carevault.Dicom.Text;

/// <summary>
/// Decodes text values under a Specific Character Set (0008,0005), PS3.3 §C.12.1.1.2 and PS3.5 §6.1.
/// Single-byte sets, UTF-8 (ISO_IR 192), GB18030 and GBK decode exactly. ISO 2022 code extensions are a
/// best effort (see <see cref="Iso2022Decoder"/>). Absent or unknown terms decode as Latin-1 so that no byte is
/// lost (the default repertoire is ASCII, which Latin-1 contains).
/// </summary>
internal sealed class DicomCharacterSet
{
    public static readonly DicomCharacterSet Default = new([], Encoding.Latin1, iso2022: false);

    private DicomCharacterSet(string[] terms, Encoding single, bool iso2022)
    {
        Terms = terms;
        SingleEncoding = single;
        UsesIso2022 = iso2022;
    }

    public IReadOnlyList<string> Terms { get; }

    /// <summary>The encoding of a value without escape sequences (the first term's set).</summary>
    public Encoding SingleEncoding { get; }

    public bool UsesIso2022 { get; }

    /// <summary>Builds the decoder from the raw (ASCII) value of (0008,0005).</summary>
    public static DicomCharacterSet FromValue(ReadOnlySpan<byte> value)
    {
        var text = Encoding.ASCII.GetString(value).TrimEnd(' ', '\0');
        if (text.Length == 0)
        {
            return Default;
        }

        var terms = text.Split('\\');
        for (var i = 0; i < terms.Length; i++)
        {
            terms[i] = terms[i].Trim(' ', '\0');
        }

        var iso2022 = terms.Length > 1 || terms[0].StartsWith("ISO 2022", StringComparison.Ordinal);
        var first = terms[0];
        var single = EncodingFor(first) ?? Encoding.Latin1;
        return new DicomCharacterSet(terms, single, iso2022);
    }

    /// <summary>Decodes one value (all its multiple values, with their backslashes).</summary>
    public string Decode(ReadOnlySpan<byte> value, bool isPersonName)
    {
        if (UsesIso2022 && value.Contains((byte)0x1B))
        {
            return Iso2022Decoder.Decode(value, Terms, isPersonName);
        }

        if (value.IndexOfAnyInRange((byte)0x80, (byte)0xFF) < 0)
        {
            return Encoding.ASCII.GetString(value); // the common case: every set here agrees with ASCII below 80H
        }

        return UsesIso2022 ? Iso2022Decoder.Decode(value, Terms, isPersonName) : SingleEncoding.GetString(value);
    }

    /// <summary>Defined terms → .NET encodings (PS3.3 Tables C.12-2, C.12-3, C.12-4, C.12-5).</summary>
    internal static Encoding? EncodingFor(string term) => term switch
    {
        "" or "ISO_IR 6" or "ISO 2022 IR 6" or "ISO_IR 100" or "ISO 2022 IR 100" => Encoding.Latin1,
        "ISO_IR 192" => Encoding.UTF8,
        "ISO_IR 101" or "ISO 2022 IR 101" => CodePage(28592),
        "ISO_IR 109" or "ISO 2022 IR 109" => CodePage(28593),
        "ISO_IR 110" or "ISO 2022 IR 110" => CodePage(28594),
        "ISO_IR 144" or "ISO 2022 IR 144" => CodePage(28595),
        "ISO_IR 127" or "ISO 2022 IR 127" => CodePage(28596),
        "ISO_IR 126" or "ISO 2022 IR 126" => CodePage(28597),
        "ISO_IR 138" or "ISO 2022 IR 138" => CodePage(28598),
        "ISO_IR 148" or "ISO 2022 IR 148" => CodePage(28599),
        "ISO_IR 203" or "ISO 2022 IR 203" => CodePage(28605),
        "ISO_IR 166" or "ISO 2022 IR 166" => CodePage(874),
        "ISO_IR 13" or "ISO 2022 IR 13" => CodePage(932), // JIS X 0201: Shift_JIS single bytes are exactly it
        "GB18030" => CodePage(54936),
        "GBK" => CodePage(936),
        _ => null,
    };

    internal static Encoding CodePage(int codePage) =>
        // The code-page tables ship with .NET; asking the provider directly avoids registering it process-wide.
        CodePagesEncodingProvider.Instance.GetEncoding(codePage) ?? Encoding.Latin1;
}
