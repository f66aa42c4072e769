using System.Globalization;

namespace Carevault.Ingestion.Processing;

/// <summary>HL7 v2, DICOM and PDF: hands the bytes to the registered <see cref="ReportMapping"/>.</summary>
internal sealed class MappedReportProcessor(ReportFormat format, ReportMapping? mapping) : IReportProcessor
{
    public ReportFormat Format => format;

    public bool SubmitterAuthored => false;

    public ProcessingOutput Process(ProcessingInput input)
    {
        if (mapping is null)
            return ProcessingOutput.Fail("mapping-unavailable", $"This server has no mapper for {ReportFormats.Name(format)} reports yet; the original is kept.");
        var job = input.Job;
        var result = mapping(new ReportMappingInput
        {
            Format = format,
            Content = input.Content,
            OriginalSha256 = job.Sha256,
            OriginalUrl = input.OriginalUrl,
            ContentType = job.ContentType,
            PatientIdentifierSystem = job.PatientIdentifierSystem,
            PatientIdentifierValue = job.PatientIdentifierValue,
            ReportType = job.ReportType,
            ReportDate = job.ReportDate is { } date && DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null,
            Source = job.Source,
        });
        if (result.TransactionBundle is { } bundle) return new ProcessingOutput(bundle, null);
        return ProcessingOutput.Fail(result.ErrorCode ?? "mapping-failed", result.ErrorMessage ?? "The file could not be mapped to FHIR resources.");
    }
}
