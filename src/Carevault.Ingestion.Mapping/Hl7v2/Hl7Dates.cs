using System.Globalization;
using Carevault.Hl7v2.Types;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>
/// HL7 DTM → FHIR date/dateTime/instant. FHIR requires an offset once a time is given (R4 datatypes §2.24.0.1
/// dateTime); HL7 v2.5.1 §2A.3.22 says a DTM without one is in the sender's local time, so the MSH-7 offset is used
/// when MSH-7 carries one; otherwise the value is cut to its date (decision 0011).
/// </summary>
internal readonly struct Hl7Dates(TimeSpan? senderOffset)
{
    public string? DateTime(Hl7DateTime? value)
    {
        if (value is not { } v)
        {
            return null;
        }

        switch (v.Precision)
        {
            case Hl7DateTimePrecision.Year:
                return v.Value.ToString("yyyy", CultureInfo.InvariantCulture);
            case Hl7DateTimePrecision.Month:
                return v.Value.ToString("yyyy-MM", CultureInfo.InvariantCulture);
            case Hl7DateTimePrecision.Day:
                return v.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        TimeSpan? offset = v.Offset ?? senderOffset;
        if (offset is not { } o || !IsFhirOffset(o))
        {
            return v.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        string format = v.Precision == Hl7DateTimePrecision.FractionalSecond
            ? "yyyy-MM-dd'T'HH:mm:ss." + new string('f', Math.Clamp(v.FractionDigits, 1, 7))
            : "yyyy-MM-dd'T'HH:mm:ss";
        return v.Value.ToString(format, CultureInfo.InvariantCulture) + Offset(o);
    }

    /// <summary>An instant needs at least minutes and an offset; anything less is null.</summary>
    public string? Instant(Hl7DateTime? value) =>
        value is { Precision: >= Hl7DateTimePrecision.Minute } v && (v.Offset ?? senderOffset) is { } o && IsFhirOffset(o) ? DateTime(v) : null;

    /// <summary>A FHIR date with the precision given (birth dates).</summary>
    public static string? Date(Hl7DateTime? value) => value is not { } v ? null : v.Precision switch
    {
        Hl7DateTimePrecision.Year => v.Value.ToString("yyyy", CultureInfo.InvariantCulture),
        Hl7DateTimePrecision.Month => v.Value.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        _ => v.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    // FHIR's dateTime regex allows -13:59…+13:59 and ±14:00.
    private static bool IsFhirOffset(TimeSpan offset) => offset.Duration() <= TimeSpan.FromHours(14);

    private static string Offset(TimeSpan offset)
    {
        TimeSpan abs = offset.Duration();
        return (offset < TimeSpan.Zero ? "-" : "+") + abs.Hours.ToString("00", CultureInfo.InvariantCulture) + ":"
            + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }
}
