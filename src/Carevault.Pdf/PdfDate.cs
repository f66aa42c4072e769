using System.Globalization;

namespace Carevault.Pdf;

/// <summary>PDF dates (ISO 32000-1 §7.9.4): <c>D:YYYYMMDDHHmmSSOHH'mm'</c>, every part after the year optional.</summary>
public static class PdfDate
{
    /// <summary>Parses a PDF date; null when unparseable. Missing offset means UTC (the spec says "unknown").</summary>
    public static DateTimeOffset? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.AsSpan().Trim();
        if (s.StartsWith("D:", StringComparison.Ordinal)) s = s[2..];
        var pos = 0;
        if (!Digits(s, ref pos, 4, out var year)) return null;
        var month = 1; var day = 1; var hour = 0; var minute = 0; var second = 0;
        _ = Digits(s, ref pos, 2, out month) && Digits(s, ref pos, 2, out day) && Digits(s, ref pos, 2, out hour) &&
            Digits(s, ref pos, 2, out minute) && Digits(s, ref pos, 2, out second);
        if (month == 0) month = 1;
        if (day == 0) day = 1;
        var offset = TimeSpan.Zero;
        if (pos < s.Length && s[pos] is '+' or '-')
        {
            var sign = s[pos] == '-' ? -1 : 1;
            pos++;
            if (Digits(s, ref pos, 2, out var oh))
            {
                if (pos < s.Length && s[pos] == '\'') pos++;
                _ = Digits(s, ref pos, 2, out var om);
                if (oh > 14 || om > 59) return null;
                offset = sign * new TimeSpan(oh, om, 0);
            }
        }
        if (month > 12 || hour > 23 || minute > 59 || second > 59 || year < 1) return null;
        if (day > DateTime.DaysInMonth(year, month)) return null;
        return new DateTimeOffset(year, month, day, hour, minute, second, offset);
    }

    private static bool Digits(ReadOnlySpan<char> s, ref int pos, int count, out int value)
    {
        value = 0;
        if (pos + count > s.Length) return false;
        if (!int.TryParse(s.Slice(pos, count), NumberStyles.None, CultureInfo.InvariantCulture, out value)) { value = 0; return false; }
        pos += count;
        return true;
    }
}
