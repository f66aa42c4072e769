using System.Globalization;
using System.Text.Json.Nodes;

namespace Carevault.Ingestion.Mapping.Fhir;

/// <summary>FHIR R4 primitive formatting shared by the mappers.</summary>
internal static class FhirValues
{
    /// <summary>Limit for any FHIR string we copy from a file (R4 datatypes §2.24.0.1: strings ≤ 1 MiB).</summary>
    public const int MaxStringLength = 1024 * 1024;

    /// <summary>
    /// A FHIR string from file text: null when blank; control characters other than tab/CR/LF (which FHIR forbids)
    /// become spaces; cut at <see cref="MaxStringLength"/>.
    /// </summary>
    public static string? Text(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text.Length > MaxStringLength)
        {
            text = text[..MaxStringLength];
            if (char.IsHighSurrogate(text[^1]))
            {
                text = text[..^1];
            }
        }

        foreach (char c in text)
        {
            if (c < ' ' && c is not ('\t' or '\r' or '\n'))
            {
                return string.Create(text.Length, text, static (span, source) =>
                {
                    for (int i = 0; i < source.Length; i++)
                    {
                        char ch = source[i];
                        span[i] = ch < ' ' && ch is not ('\t' or '\r' or '\n') ? ' ' : ch;
                    }
                });
            }
        }

        return text;
    }

    /// <summary>A FHIR code (no leading/trailing or repeated whitespace) or null.</summary>
    public static string? Code(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        foreach (char c in text)
        {
            if (c < ' ' || char.IsWhiteSpace(c) && c != ' ')
            {
                return null;
            }
        }

        return text.Contains("  ", StringComparison.Ordinal) ? null : text;
    }

    /// <summary>A FHIR uri (no whitespace) or null.</summary>
    public static string? Uri(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return null;
            }
        }

        return text;
    }

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>dateTime with an offset, seconds precision (fractions kept when present).</summary>
    public static string DateTime(DateTimeOffset value) =>
        value.ToString(value.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:sszzz" : "yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    /// <summary>instant: always seconds and an offset.</summary>
    public static string Instant(DateTimeOffset value) => DateTime(value);

    public static JsonObject CodeableConcept(string? system, string? code, string? display, string? text = null)
    {
        var concept = new JsonObject();
        if (Code(code) is { } c)
        {
            var coding = new JsonObject();
            if (Uri(system) is { } s)
            {
                coding["system"] = s;
            }

            coding["code"] = c;
            if (Text(display) is { } d)
            {
                coding["display"] = d;
            }

            concept["coding"] = new JsonArray(coding);
        }

        if (Text(text ?? display) is { } t)
        {
            concept["text"] = t;
        }

        return concept;
    }

    /// <summary>A Reference that names something we do not create (ref-1 allows display only).</summary>
    public static JsonObject DisplayReference(string display) => new() { ["display"] = display };

    public static JsonObject Reference(string fullUrl) => new() { ["reference"] = fullUrl };

    /// <summary>Quantity.value from a decimal, kept as written ("5.0" stays 5.0).</summary>
    public static JsonValue Decimal(decimal value) => JsonValue.Create(value);

    /// <summary>Patient.gender from an administrative sex letter (HL7 v2 table 0001 / DICOM (0010,0040)).</summary>
    public static string? Gender(string? sex) => sex?.Trim().ToUpperInvariant() switch
    {
        "F" => "female",
        "M" => "male",
        "O" or "A" => "other",
        "U" or "N" => "unknown",
        _ => null,
    };
}
