using System.Text;

namespace Carevault.Ingestion.Mapping.Fhir;

/// <summary>Builds the query part of conditional requests (<c>ifNoneExist</c>).</summary>
internal static class FhirSearch
{
    private static readonly System.Buffers.SearchValues<char> Escaped = System.Buffers.SearchValues.Create("\\|,$");

    /// <summary>
    /// <c>system|value</c>, each part escaped per FHIR R4 search §3.1.1.7 (<c>\</c>, <c>|</c>, <c>,</c>, <c>$</c>
    /// get a backslash) and then percent-encoded where a URL query would misread it.
    /// </summary>
    public static string Token(string system, string value) => Encode(Escape(system)) + "|" + Encode(Escape(value));

    private static string Escape(string part)
    {
        if (part.AsSpan().IndexOfAny(Escaped) < 0)
        {
            return part;
        }

        var sb = new StringBuilder(part.Length + 4);
        foreach (char c in part)
        {
            if (c is '\\' or '|' or ',' or '$')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static string Encode(string part)
    {
        bool plain = true;
        foreach (char c in part)
        {
            plain &= IsPlain(c);
        }

        if (plain)
        {
            return part;
        }

        var sb = new StringBuilder(part.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in part.EnumerateRunes())
        {
            if (rune.IsAscii && IsPlain((char)rune.Value))
            {
                sb.Append((char)rune.Value);
                continue;
            }

            int n = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < n; i++)
            {
                sb.Append('%').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    // RFC 3986 unreserved plus the sub-delims and ':' '/' '@' that a query may hold literally; '&', '+', '#', '=',
    // '%' and anything non-ASCII are encoded.
    private static bool IsPlain(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ':' or '/' or '@' or '!' or '*' or '\'' or '(' or ')' or ';';
}
