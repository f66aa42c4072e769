using Carevault.Ingestion.Mapping.Dicom;
using Carevault.Ingestion.Mapping.Hl7v2;
using Carevault.Ingestion.Mapping.Pdf;

namespace Carevault.Ingestion.Mapping;

/// <summary>
/// Turns a parsed health report into a FHIR R4 transaction Bundle.
/// </summary>
/// <remarks>
/// Structural considerations (docs/decisions/0011-report-mapping.md): the mapper is pure — bytes and upload metadata
/// in, a Bundle out, no I/O — so the pipeline can rerun it after a crash and get the same Bundle: every fullUrl is a
/// uuid derived from the original's SHA-256 and the entry's position. Patients are conditional creates on a
/// system-qualified identifier (from the file, else from the upload); a file that yields no such identifier is an
/// error rather than an anonymous Patient. Expected failures are <see cref="MappingError"/> values; an exception is a bug.
/// </remarks>
public static class ReportMapper
{
    /// <summary>Maps <paramref name="input"/>; bad input gives a <see cref="MappingError"/>, never an exception.</summary>
    public static MappingResult Map(MappingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (string.IsNullOrWhiteSpace(input.OriginalSha256))
        {
            return MappingResult.Failure("input.missing-sha256", "The original's SHA-256 is required to derive entry ids.");
        }

        return input.Format switch
        {
            ReportFormat.Hl7v2 => Hl7v2ReportMapper.Map(input),
            ReportFormat.Dicom => DicomToImagingStudyMapper.Map(input),
            ReportFormat.Pdf => PdfToDocumentReferenceMapper.Map(input),
            _ => MappingResult.Failure("input.unsupported-format", "The report format is not one the mapper reads."),
        };
    }
}
