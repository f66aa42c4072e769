using Carevault.Dicom.Text;

namespace Carevault.Dicom.Parsing;

/// <summary>Creates strings only for the fields the model keeps (STYLE §5).</summary>
internal static class DicomMetadataExtractor
{
    public static DicomMetadata Extract(ParsedFile parsed, ReadOnlySpan<byte> source)
    {
        var meta = parsed.Meta;
        var ds = parsed.Dataset;
        var data = parsed.Inflated is { } inflated ? inflated.Span : source;
        var charset = ds.CharacterSet;
        return new DicomMetadata
        {
            Patient = new DicomPatient
            {
                PatientId = Get(data, ds, DicomTags.PatientId, charset),
                IssuerOfPatientId = Get(data, ds, DicomTags.IssuerOfPatientId, charset),
                Name = DicomPersonName.Parse(Get(data, ds, DicomTags.PatientName, charset)),
                BirthDate = DicomValueParsers.ParseDate(Get(data, ds, DicomTags.PatientBirthDate, charset)),
                Sex = Get(data, ds, DicomTags.PatientSex, charset) switch
                {
                    "M" => DicomPatientSex.Male,
                    "F" => DicomPatientSex.Female,
                    "O" => DicomPatientSex.Other,
                    _ => null,
                },
            },
            Study = new DicomStudy
            {
                StudyInstanceUid = Get(data, ds, DicomTags.StudyInstanceUid, charset),
                StudyDate = DicomValueParsers.ParseDate(Get(data, ds, DicomTags.StudyDate, charset)),
                StudyTime = DicomValueParsers.ParseTime(Get(data, ds, DicomTags.StudyTime, charset)),
                AccessionNumber = Get(data, ds, DicomTags.AccessionNumber, charset),
                StudyDescription = Get(data, ds, DicomTags.StudyDescription, charset),
                ReferringPhysicianName = DicomPersonName.Parse(Get(data, ds, DicomTags.ReferringPhysicianName, charset)),
            },
            Series = new DicomSeries
            {
                SeriesInstanceUid = Get(data, ds, DicomTags.SeriesInstanceUid, charset),
                Modality = Get(data, ds, DicomTags.Modality, charset),
                SeriesNumber = DicomValueParsers.ParseInteger(Get(data, ds, DicomTags.SeriesNumber, charset)),
                SeriesDescription = Get(data, ds, DicomTags.SeriesDescription, charset),
                BodyPartExamined = Get(data, ds, DicomTags.BodyPartExamined, charset),
            },
            Instance = new DicomInstance
            {
                SopClassUid = Get(data, ds, DicomTags.SopClassUid, charset),
                SopInstanceUid = Get(data, ds, DicomTags.SopInstanceUid, charset),
                InstanceNumber = DicomValueParsers.ParseInteger(Get(data, ds, DicomTags.InstanceNumber, charset)),
                NumberOfFrames = DicomValueParsers.ParseInteger(Get(data, ds, DicomTags.NumberOfFrames, charset)),
            },
            TransferSyntaxUid = Get(source, meta, DicomTags.TransferSyntaxUid, DicomCharacterSet.Default),
            SpecificCharacterSet = Get(data, ds, DicomTags.SpecificCharacterSet, DicomCharacterSet.Default),
            HasFileMetaInformation = parsed.HasFileMeta,
            PixelData = parsed.PixelData is { } pixels ? DicomPixelDataLocation.From(pixels, parsed.Inflated is not null) : null,
        };
    }

    private static string? Get(ReadOnlySpan<byte> data, DicomDataset dataset, DicomTag tag, DicomCharacterSet charset)
    {
        if (!dataset.TryGetElement(tag, out var element) || element.Items is not null)
        {
            return null;
        }

        var text = DicomValueDecoder.DecodeText(data, element, charset)?.Trim(' ', '\0');
        return string.IsNullOrEmpty(text) ? null : text;
    }
}
