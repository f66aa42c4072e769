using System.Globalization;

namespace Carevault.Hl7v2.Types;

/// <summary>How much of an HL7 date/time was given.</summary>
public enum Hl7DateTimePrecision
{
    /// <summary>YYYY.</summary>
    Year,

    /// <summary>YYYYMM.</summary>
    Month,

    /// <summary>YYYYMMDD.</summary>
    Day,

    /// <summary>YYYYMMDDHH.</summary>
    Hour,

    /// <summary>YYYYMMDDHHMM.</summary>
    Minute,

    /// <summary>YYYYMMDDHHMMSS.</summary>
    Second,

    /// <summary>YYYYMMDDHHMMSS.S+ (1–4 digits in HL7; up to 7 accepted).</summary>
    FractionalSecond,
}

/// <summary>
/// An HL7 DTM/TS/DT value, <c>YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]</c> (HL7 v2.5.1 §2.A.22), keeping the
/// precision the sender used: "198908181126+0215" is minute precision with an offset, not a moment at :00 seconds.
/// Unspecified parts read as their minimum (month 1, day 1, 00:00:00).
/// </summary>
public readonly record struct Hl7DateTime
{
    /// <summary>The calendar date and time as written (kind Unspecified), unspecified parts at their minimum.</summary>
    public required DateTime Value { get; init; }

    /// <summary>The UTC offset, when the value carried one.</summary>
    public TimeSpan? Offset { get; init; }

    /// <summary>How much was given.</summary>
    public required Hl7DateTimePrecision Precision { get; init; }

    /// <summary>Digits after the decimal point, for <see cref="Hl7DateTimePrecision.FractionalSecond"/>.</summary>
    public int FractionDigits { get; init; }

    // "-0000" (RFC 3339's "local offset unknown") is kept so ToString round-trips.
    private bool NegativeZeroOffset { get; init; }

    /// <summary>The instant, when an offset was given; otherwise null (the sender's local time is unknown).</summary>
    public DateTimeOffset? ToDateTimeOffset() => Offset is { } offset ? new DateTimeOffset(Value, offset) : null;

    /// <summary>Parses a DTM; false for anything malformed (wrong length, non-digits, out-of-range parts).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Hl7DateTime value)
    {
        value = default;
        TimeSpan? offset = null;
        bool negativeZero = false;
        int sign = text.IndexOfAny('+', '-');
        if (sign >= 0)
        {
            if (!TryParseOffset(text[sign..], out TimeSpan parsed))
            {
                return false;
            }

            offset = parsed;
            negativeZero = parsed == TimeSpan.Zero && text[sign] == '-';
            text = text[..sign];
        }

        int dot = text.IndexOf('.');
        ReadOnlySpan<char> fraction = default;
        if (dot >= 0)
        {
            fraction = text[(dot + 1)..];
            text = text[..dot];
            if (text.Length != 14 || fraction.Length is < 1 or > 7 || !IsDigits(fraction))
            {
                return false;
            }
        }

        if (text.Length is not (4 or 6 or 8 or 10 or 12 or 14) || !IsDigits(text))
        {
            return false;
        }

        int year = Number(text, 0, 4);
        int month = text.Length >= 6 ? Number(text, 4, 2) : 1;
        int day = text.Length >= 8 ? Number(text, 6, 2) : 1;
        int hour = text.Length >= 10 ? Number(text, 8, 2) : 0;
        int minute = text.Length >= 12 ? Number(text, 10, 2) : 0;
        int second = text.Length >= 14 ? Number(text, 12, 2) : 0;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        long ticks = 0;
        if (!fraction.IsEmpty)
        {
            ticks = Number(fraction, 0, fraction.Length);
            for (int i = fraction.Length; i < 7; i++)
            {
                ticks *= 10;
            }
        }

        Hl7DateTimePrecision precision = text.Length switch
        {
            4 => Hl7DateTimePrecision.Year,
            6 => Hl7DateTimePrecision.Month,
            8 => Hl7DateTimePrecision.Day,
            10 => Hl7DateTimePrecision.Hour,
            12 => Hl7DateTimePrecision.Minute,
            _ => fraction.IsEmpty ? Hl7DateTimePrecision.Second : Hl7DateTimePrecision.FractionalSecond,
        };

        value = new Hl7DateTime
        {
            Value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks),
            Offset = offset,
            Precision = precision,
            FractionDigits = fraction.Length,
            NegativeZeroOffset = negativeZero,
        };
        return true;
    }

    /// <summary>The value in HL7 form with its original precision (round-trips <see cref="TryParse"/>).</summary>
    public override string ToString()
    {
        string format = Precision switch
        {
            Hl7DateTimePrecision.Year => "yyyy",
            Hl7DateTimePrecision.Month => "yyyyMM",
            Hl7DateTimePrecision.Day => "yyyyMMdd",
            Hl7DateTimePrecision.Hour => "yyyyMMddHH",
            Hl7DateTimePrecision.Minute => "yyyyMMddHHmm",
            Hl7DateTimePrecision.Second => "yyyyMMddHHmmss",
            _ => "yyyyMMddHHmmss." + new string('f', Math.Clamp(FractionDigits, 1, 7)),
        };
        string text = Value.ToString(format, CultureInfo.InvariantCulture);
        if (Offset is { } offset)
        {
            TimeSpan abs = offset.Duration();
            text += (offset < TimeSpan.Zero || NegativeZeroOffset ? "-" : "+") + abs.Hours.ToString("00", CultureInfo.InvariantCulture)
                + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
        }

        return text;
    }

    private static bool TryParseOffset(ReadOnlySpan<char> text, out TimeSpan offset)
    {
        offset = default;
        if (text.Length != 5 || !IsDigits(text[1..]))
        {
            return false;
        }

        int hours = Number(text, 1, 2);
        int minutes = Number(text, 3, 2);
        if (hours > 14 || minutes > 59)
        {
            return false;
        }

        offset = new TimeSpan(hours, minutes, 0);
        if (text[0] == '-')
        {
            offset = -offset;
        }

        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

    private static int Number(ReadOnlySpan<char> text, int start, int length)
    {
        int n = 0;
        for (int i = start; i < start + length; i++)
        {
            n = (n * 10) + (text[i] - '0');
        }

        return n;
    }
}
