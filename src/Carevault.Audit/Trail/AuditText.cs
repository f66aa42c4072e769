using System.Globalization;
using System.Text;

namespace Carevault.Audit.Trail;

/// <summary>
/// Makes outside text safe to store and show: control characters (CR, LF, TAB, NUL, DEL, C1, the Unicode line and
/// paragraph separators, bidirectional overrides) become <c>\uXXXX</c>, so a user agent cannot forge a line in any
/// log or export, and the length is capped.
/// </summary>
public static class AuditText
{
    public const int MaxLength = 512;

    public static string Clean(string? value, int maxLength = MaxLength)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var span = value.AsSpan(0, Math.Min(value.Length, maxLength));
        var clean = true;
        foreach (var c in span)
        {
            if (IsUnsafe(c))
            {
                clean = false;
                break;
            }
        }
        if (clean) return span.Length == value.Length ? value : span.ToString();
        return Escape(span);
    }

    static string Escape(ReadOnlySpan<char> span)
    {
        var builder = new StringBuilder(span.Length + 16);
        foreach (var c in span)
        {
            if (IsUnsafe(c)) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
