using System.Globalization;

namespace Carevault.Records.Search;

/// <summary>
/// A FHIR date, dateTime or instant as the inclusive range of UTC Unix milliseconds it covers, by its precision
/// (FHIR R4 search.html#date: "2013-01" covers the whole month). Times without an offset are read as UTC.
/// </summary>
public readonly record struct FhirDateRange(long Low, long High)
{
    public static readonly FhirDateRange Unbounded = new(long.MinValue, long.MaxValue);

    /// <summary>Parses <c>YYYY</c>, <c>YYYY-MM</c>, <c>YYYY-MM-DD</c> and <c>YYYY-MM-DDThh:mm[:ss[.f+]][Z|±hh:mm]</c>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out FhirDateRange range)
    {
        range = default;
        if (text.Length < 4 || !TryDigits(text[..4], out var year) || year < 1) return false;
        if (text.Length == 4) return Make(new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc), d => d.AddYears(1), out range);
        if (text.Length < 7 || text[4] != '-' || !TryDigits(text.Slice(5, 2), out var month) || month is < 1 or > 12) return false;
        if (text.Length == 7) return Make(new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc), d => d.AddMonths(1), out range);
        if (text.Length < 10 || text[7] != '-' || !TryDigits(text.Slice(8, 2), out var day) || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        var date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        if (text.Length == 10) return Make(date, d => d.AddDays(1), out range);
        if (text[10] != 'T' || text.Length < 16 || text[13] != ':' || !TryDigits(text.Slice(11, 2), out var hour) || !TryDigits(text.Slice(14, 2), out var minute) || hour > 23 || minute > 59)
            return false;
        var rest = text[16..];
        var second = 0;
        var fraction = 0;
        var fractionDigits = -1;
        Func<DateTime, DateTime> step = d => d.AddMinutes(1);
        if (rest.Length > 0 && rest[0] == ':')
        {
            if (rest.Length < 3 || !TryDigits(rest.Slice(1, 2), out second) || second > 59) return false;
            rest = rest[3..];
            step = d => d.AddSeconds(1);
            if (rest.Length > 0 && rest[0] == '.')
            {
                var n = 1;
                while (n < rest.Length && char.IsAsciiDigit(rest[n])) n++;
                if (n == 1) return false;
                fractionDigits = n - 1;
                var digits = rest.Slice(1, Math.Min(3, fractionDigits));
                fraction = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
                for (var i = digits.Length; i < 3; i++) fraction *= 10;
                rest = rest[n..];
                step = d => d.AddMilliseconds(1);
            }
        }
        var offset = TimeSpan.Zero;
        if (rest.Length > 0)
        {
            if (rest is "Z") { }
            else if (rest.Length == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && TryDigits(rest.Slice(1, 2), out var oh) && TryDigits(rest.Slice(4, 2), out var om) && oh <= 14 && om <= 59)
                offset = new TimeSpan(oh, om, 0) * (rest[0] == '-' ? -1 : 1);
            else return false;
        }
        var start = date.AddHours(hour).AddMinutes(minute).AddSeconds(second).AddMilliseconds(fraction) - offset;
        return Make(start, step, out range);
    }

    static bool Make(DateTime start, Func<DateTime, DateTime> next, out FhirDateRange range)
    {
        var low = new DateTimeOffset(start, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var high = start.Year >= 9999 && start.Month == 12 ? DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() : new DateTimeOffset(next(start), TimeSpan.Zero).ToUnixTimeMilliseconds() - 1;
        range = new FhirDateRange(low, high);
        return true;
    }

    static bool TryDigits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
