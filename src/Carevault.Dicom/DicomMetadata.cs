namespace Carevault.Dicom;

/// <summary>
/// The top-level values ingestion needs from one DICOM instance. Pure values, no FHIR types: mapping to
/// ImagingStudy/Patient is the mapper's job. Text is decoded through the Specific Character Set and trimmed;
/// absent or empty elements are null; values that do not parse (a DA of "2004-13-45", an IS of "1A") are null.
/// </summary>
public sealed record DicomMetadata
{
    /// <summary>Patient module values.</summary>
    public required DicomPatient Patient { get; init; }

    /// <summary>General Study module values.</summary>
    public required DicomStudy Study { get; init; }

    /// <summary>General Series module values.</summary>
    public required DicomSeries Series { get; init; }

    /// <summary>SOP Common / General Image values.</summary>
    public required DicomInstance Instance { get; init; }

    /// <summary>(0002,0010), null when the file has no file meta information.</summary>
    public string? TransferSyntaxUid { get; init; }

    /// <summary>(0008,0005) as stored, terms separated by "\" (e.g. "\ISO 2022 IR 87"); null when absent.</summary>
    public string? SpecificCharacterSet { get; init; }

    /// <summary>True when the file had a group 0002.</summary>
    public bool HasFileMetaInformation { get; init; }

    /// <summary>Where the top-level pixel data lie, when present.</summary>
    public DicomPixelDataLocation? PixelData { get; init; }
}

/// <summary>Patient values.</summary>
public sealed record DicomPatient
{
    /// <summary>(0010,0020) PatientID.</summary>
    public string? PatientId { get; init; }

    /// <summary>(0010,0021) IssuerOfPatientID: the authority that assigned <see cref="PatientId"/>.</summary>
    public string? IssuerOfPatientId { get; init; }

    /// <summary>(0010,0010) PatientName.</summary>
    public DicomPersonName? Name { get; init; }

    /// <summary>(0010,0030) PatientBirthDate.</summary>
    public DateOnly? BirthDate { get; init; }

    /// <summary>(0010,0040) PatientSex; null when absent or not M/F/O.</summary>
    public DicomPatientSex? Sex { get; init; }
}

/// <summary>PS3.3 §C.7.1.1 (0010,0040) defined terms.</summary>
public enum DicomPatientSex
{
    /// <summary>M.</summary>
    Male,

    /// <summary>F.</summary>
    Female,

    /// <summary>O.</summary>
    Other,
}

/// <summary>Study values.</summary>
public sealed record DicomStudy
{
    /// <summary>(0020,000D) StudyInstanceUID.</summary>
    public string? StudyInstanceUid { get; init; }

    /// <summary>(0008,0020) StudyDate.</summary>
    public DateOnly? StudyDate { get; init; }

    /// <summary>(0008,0030) StudyTime.</summary>
    public TimeOnly? StudyTime { get; init; }

    /// <summary>(0008,0050) AccessionNumber.</summary>
    public string? AccessionNumber { get; init; }

    /// <summary>(0008,1030) StudyDescription.</summary>
    public string? StudyDescription { get; init; }

    /// <summary>(0008,0090) ReferringPhysicianName.</summary>
    public DicomPersonName? ReferringPhysicianName { get; init; }
}

/// <summary>Series values.</summary>
public sealed record DicomSeries
{
    /// <summary>(0020,000E) SeriesInstanceUID.</summary>
    public string? SeriesInstanceUid { get; init; }

    /// <summary>(0008,0060) Modality.</summary>
    public string? Modality { get; init; }

    /// <summary>(0020,0011) SeriesNumber.</summary>
    public int? SeriesNumber { get; init; }

    /// <summary>(0008,103E) SeriesDescription.</summary>
    public string? SeriesDescription { get; init; }

    /// <summary>(0018,0015) BodyPartExamined.</summary>
    public string? BodyPartExamined { get; init; }
}

/// <summary>Instance values.</summary>
public sealed record DicomInstance
{
    /// <summary>(0008,0016) SOPClassUID.</summary>
    public string? SopClassUid { get; init; }

    /// <summary>(0008,0018) SOPInstanceUID.</summary>
    public string? SopInstanceUid { get; init; }

    /// <summary>(0020,0013) InstanceNumber.</summary>
    public int? InstanceNumber { get; init; }

    /// <summary>(0028,0008) NumberOfFrames.</summary>
    public int? NumberOfFrames { get; init; }
}
