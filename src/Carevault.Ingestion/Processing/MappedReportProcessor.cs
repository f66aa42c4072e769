using System.Globalization;
using Carevault.Ingestion.Mapping;

namespace Carevault.Ingestion.Processing;

/// <summary>HL7 v2, DICOM and PDF: hands the bytes to the <see cref="ReportMapping"/> (the mapping library).</summary>
internal sealed class MappedReportProcessor(ReportFormat format, ReportMapping mapping) : IReportProcessor
{
    public ReportFormat Format => format;

    public bool SubmitterAuthored => false;

    public ProcessingOutput Process(ProcessingInput input)
    {
        var job = input.Job;
        var result = mapping(new MappingInput
        {
            Format = format switch
            {
                ReportFormat.Hl7v2 => Mapping.ReportFormat.Hl7v2,
                ReportFormat.Dicom => Mapping.ReportFormat.Dicom,
                _ => Mapping.ReportFormat.Pdf,
            },
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
        return ProcessingOutput.Fail(result.Error?.Code ?? "mapping-failed", result.Error?.Message ?? "The file could not be mapped to FHIR resources.");
    }
}
