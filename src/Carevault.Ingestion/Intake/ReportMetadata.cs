using System.Globalization;
using System.Text.RegularExpressions;

namespace Carevault.Ingestion.Intake;

/// <summary>What the submitter says about a report (multipart fields, or the MLLP listener's message header).</summary>
public sealed partial record ReportMetadata
{
    public string? PatientIdentifierSystem { get; init; }
    public string? PatientIdentifierValue { get; init; }

    /// <summary>A short code such as <c>lab</c>, <c>imaging</c>, <c>pathology</c>; keys <c>Ingestion:RequiredMetadata</c>.</summary>
    public string? ReportType { get; init; }

    /// <summary>A FHIR date or dateTime (<c>2026-11-21</c>, <c>2026-11-21T10:15:00Z</c>).</summary>
    public string? ReportDate { get; init; }

    /// <summary>The sending system or organization, e.g. <c>Organization/123</c> or a free name.</summary>
    public string? Source { get; init; }

    public static readonly ReportMetadata None = new();

    /// <summary>Parses <c>system|value</c> (FHIR token syntax) or a bare value.</summary>
    public static (string? System, string? Value) ParseIdentifier(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? (null, text.Trim()) : (text[..bar].Trim() is { Length: > 0 } s ? s : null, text[(bar + 1)..].Trim());
    }

    /// <summary>The first field that is malformed, or null.</summary>
    internal IntakeError? Validate()
    {
        if (TooLong(PatientIdentifierSystem, 500) || TooLong(PatientIdentifierValue, 200) || (PatientIdentifierSystem is not null && string.IsNullOrEmpty(PatientIdentifierValue)))
            return Invalid("patientIdentifier", "Give the patient identifier as 'system|value' or 'value' (at most 200 characters of value).");
        if (ReportType is not null && !ReportTypePattern().IsMatch(ReportType))
            return Invalid("reportType", "A report type is 1-64 letters, digits, '-', '_' or '.'.");
        if (ReportDate is not null && !IsFhirDateTime(ReportDate))
            return Invalid("reportDate", "Give the report date as a FHIR date or dateTime, e.g. 2026-11-21 or 2026-11-21T10:15:00Z.");
        if (TooLong(Source, 200)) return Invalid("source", "The source is at most 200 characters.");
        return null;
    }

    /// <summary>The value of a field by its configuration name (<see cref="IngestionOptions.MetadataFields"/>).</summary>
    internal string? Field(string name) => name switch
    {
        "patientIdentifier" => PatientIdentifierValue,
        "reportType" => ReportType,
        "reportDate" => ReportDate,
        "source" => Source,
        _ => null,
    };

    static bool TooLong(string? value, int max) => value is not null && (value.Length > max || value.Any(char.IsControl));

    static bool IsFhirDateTime(string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
        || (value.Length > 10 && DateTimeOffset.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out _));

    static IntakeError Invalid(string field, string message) => new(IntakeErrorKind.Validation, "validation-failed", message, field);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ReportTypePattern();
}
