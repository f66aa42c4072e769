using System.Globalization;
using System.Text;

namespace Carevault.Records.Search;

/// <summary>
/// The normalized form of string search values: accents removed and case folded, so that "Müller" matches "muller"
/// (FHIR R4 search.html#string: "case- and accent-insensitive").
/// </summary>
/// <remarks>
/// The server runs with InvariantGlobalization, where string.Normalize does not decompose, so Latin letters with
/// diacritics (U+00C0–U+024F) fold through a table generated from Unicode NFD (plus ß→ss, æ→ae, ø→o, ł→l, þ→th…);
/// combining marks are dropped and everything else is lower-cased as is.
/// </remarks>
public static class SearchText
{
    /// <summary>Index values are cut here: a prefix search longer than this cannot be answered exactly anyway.</summary>
    public const int MaxIndexedLength = 256;

    const int FoldStart = 0xC0;

    static readonly string[] Fold = "a|a|a|a|a|a|ae|c|e|e|e|e|i|i|i|i|d|n|o|o|o|o|o||o|u|u|u|u|y|th|ss|a|a|a|a|a|a|ae|c|e|e|e|e|i|i|i|i|d|n|o|o|o|o|o||o|u|u|u|u|y|th|y|a|a|a|a|a|a|c|c|c|c|c|c|c|c|d|d|d|d|e|e|e|e|e|e|e|e|e|e|g|g|g|g|g|g|g|g|h|h|h|h|i|i|i|i|i|i|i|i|i|i|||j|j|k|k||l|l|l|l|l|l|l|l|l|l|n|n|n|n|n|n||||o|o|o|o|o|o|oe|oe|r|r|r|r|r|r|s|s|s|s|s|s|s|s|t|t|t|t|t|t|u|u|u|u|u|u|u|u|u|u|u|u|w|w|y|y|y|z|z|z|z|z|z||||||||||||||||||||f||||||||||||||o|o||||||||||||||u|u|||||||||||||||||||||||||||||a|a|i|i|o|o|u|u|u|u|u|u|u|u|u|u||a|a|a|a|||||g|g|k|k|o|o|o|o|||j||||g|g|||n|n|a|a|||||a|a|a|a|e|e|e|e|i|i|i|i|o|o|o|o|r|r|r|r|u|u|u|u|s|s|t|t|||h|h|||||||a|a|e|e|o|o|o|o|o|o|o|o|y|y||||||||||||||||||||||||||||".Split('|');

    public static string Normalize(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxIndexedLength));
        foreach (var c in value)
        {
            if (builder.Length >= MaxIndexedLength) break;
            if (c < 0x80) builder.Append(char.ToLowerInvariant(c));
            else if (c - FoldStart is >= 0 and var i && i < Fold.Length && Fold[i].Length > 0) builder.Append(Fold[i]);
            else if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) builder.Append(char.ToLowerInvariant(c));
        }
        return builder.Length > MaxIndexedLength ? builder.ToString(0, MaxIndexedLength) : builder.ToString();
    }
}
