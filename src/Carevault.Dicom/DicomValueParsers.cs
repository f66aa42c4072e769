using System.Globalization;

namespace Carevault.Dicom;

/// <summary>Parsers for the DA, TM and IS string VRs (PS3.5 §6.2).</summary>
public static class DicomValueParsers
{
    /// <summary>DA: "YYYYMMDD"; also the ACR-NEMA "YYYY.MM.DD" that PS3.5 still asks readers to accept.</summary>
    public static DateOnly? ParseDate(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.Trim();
        string[] formats = ["yyyyMMdd", "yyyy.MM.dd"];
        return DateOnly.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;
    }

    /// <summary>TM: "HH", "HHMM", "HHMMSS", "HHMMSS.F" to ".FFFFFF"; also the ACR-NEMA "HH:MM:SS".</summary>
    public static TimeOnly? ParseTime(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.Trim().Replace(":", "", StringComparison.Ordinal);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var main = dot < 0 ? text : text[..dot];
        if (main.Length is not (2 or 4 or 6) || !main.All(char.IsAsciiDigit))
        {
            return null;
        }

        var hour = int.Parse(main.AsSpan(0, 2), CultureInfo.InvariantCulture);
        var minute = main.Length >= 4 ? int.Parse(main.AsSpan(2, 2), CultureInfo.InvariantCulture) : 0;
        var second = main.Length == 6 ? int.Parse(main.AsSpan(4, 2), CultureInfo.InvariantCulture) : 0;
        var ticks = 0L;
        if (dot >= 0)
        {
            var fraction = text[(dot + 1)..];
            if (fraction.Length is 0 or > 6 || !fraction.All(char.IsAsciiDigit))
            {
                return null;
            }

            ticks = long.Parse(fraction.PadRight(7, '0'), CultureInfo.InvariantCulture);
        }

        second = Math.Min(second, 59); // PS3.5 allows a leap second (60); TimeOnly does not
        return hour < 24 && minute < 60 ? new TimeOnly(hour, minute, second).Add(TimeSpan.FromTicks(ticks)) : null;
    }

    /// <summary>IS: an optionally signed integer with optional surrounding spaces; first value when multi-valued.</summary>
    public static int? ParseInteger(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var first = value.Split('\\')[0].Trim();
        return int.TryParse(first, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;
    }
}
