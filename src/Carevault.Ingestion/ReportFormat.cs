namespace Carevault.Ingestion;

/// <summary>The kinds of report file the pipeline takes, chosen by the declared Content-Type.</summary>
public enum ReportFormat { Hl7v2, Dicom, Pdf, Fhir }

public static class ReportFormats
{
    /// <summary>The format a declared media type (parameters ignored, case-insensitive) stands for, or null.</summary>
    public static ReportFormat? FromContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return null;
        var media = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return media switch
        {
            // HL7 v2 has no registered media type; these are the ones interfaces use (v2.x ER7 encoding).
            "application/hl7-v2" or "x-application/hl7-v2+er7" or "application/hl7-v2+er7" or "text/plain" => ReportFormat.Hl7v2,
            "application/dicom" => ReportFormat.Dicom,
            "application/pdf" => ReportFormat.Pdf,
            "application/fhir+json" or "application/json" => ReportFormat.Fhir,
            _ => null,
        };
    }

    public static string Name(ReportFormat format) => format switch
    {
        ReportFormat.Hl7v2 => "hl7v2",
        ReportFormat.Dicom => "dicom",
        ReportFormat.Pdf => "pdf",
        _ => "fhir",
    };

    public static ReportFormat Parse(string name) => name switch
    {
        "hl7v2" => ReportFormat.Hl7v2,
        "dicom" => ReportFormat.Dicom,
        "pdf" => ReportFormat.Pdf,
        "fhir" => ReportFormat.Fhir,
        _ => throw new ArgumentOutOfRangeException(nameof(name), "Unknown report format."),
    };
}
