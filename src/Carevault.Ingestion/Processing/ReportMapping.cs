using Carevault.Ingestion.Mapping;

namespace Carevault.Ingestion.Processing;

/// <summary>
/// HL7 v2, DICOM and PDF to a FHIR transaction Bundle: <see cref="ReportMapper.Map"/> of the mapping library by default.
/// A delegate so that tests can stand in a mapper that fails on demand (an outage, a bug) to exercise retries.
/// </summary>
public delegate MappingResult ReportMapping(MappingInput input);
