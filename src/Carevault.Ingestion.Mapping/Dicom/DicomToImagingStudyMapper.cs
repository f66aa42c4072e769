using System.Text;
using System.Text.Json.Nodes;
using Carevault.Dicom;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Dicom;

/// <summary>
/// One DICOM Part 10 file → Patient and an ImagingStudy with the file's series and instance (metadata only; pixel
/// data stay in the stored original). Study, series and SOP instance UIDs are required: without them the study
/// cannot be matched with other files of the same study.
/// </summary>
internal static class DicomToImagingStudyMapper
{
    private const string DicomOntology = "http://dicom.nema.org/resources/ontology/DCM";

    // DICOM PS3.16 CID 4031 (common anatomic regions) → SNOMED CT, for the BodyPartExamined values seen most.
    private static readonly Dictionary<string, (string Code, string Display)> BodyParts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ABDOMEN"] = ("818981001", "Abdomen"),
        ["BRAIN"] = ("12738006", "Brain"),
        ["BREAST"] = ("76752008", "Breast"),
        ["CHEST"] = ("51185008", "Thorax"),
        ["HEAD"] = ("69536005", "Head"),
        ["HEART"] = ("80891009", "Heart"),
        ["KNEE"] = ("72696002", "Knee"),
        ["LIVER"] = ("10200004", "Liver"),
        ["NECK"] = ("45048000", "Neck"),
        ["PELVIS"] = ("816092008", "Pelvis"),
        ["SHOULDER"] = ("16982005", "Shoulder"),
        ["SKULL"] = ("89546000", "Skull"),
        ["SPINE"] = ("421060004", "Spine"),
        ["CSPINE"] = ("122494005", "Cervical spine"),
        ["TSPINE"] = ("122495006", "Thoracic spine"),
        ["LSPINE"] = ("122496007", "Lumbar spine"),
        ["HAND"] = ("85562004", "Hand"),
        ["FOOT"] = ("56459004", "Foot"),
        ["HIP"] = ("24136001", "Hip joint"),
        ["ANKLE"] = ("70258002", "Ankle joint"),
        ["ELBOW"] = ("16953009", "Elbow joint"),
        ["WRIST"] = ("74670003", "Wrist joint"),
        ["KIDNEY"] = ("64033007", "Kidney"),
    };

    public static MappingResult Map(MappingInput input)
    {
        DicomReadResult<DicomMetadata> read = DicomMetadataReader.Read(input.Content.Span);
        if (!read.IsSuccess)
        {
            return MappingResult.Failure(ToMappingError(read.Error));
        }

        DicomMetadata dicom = read.Value;
        if (Uid(dicom.Study.StudyInstanceUid) is not { } studyUid)
        {
            return MappingResult.Failure("dicom.missing-study-uid", "The file has no valid Study Instance UID (0020,000D).");
        }

        if (Uid(dicom.Series.SeriesInstanceUid) is not { } seriesUid)
        {
            return MappingResult.Failure("dicom.missing-series-uid", "The file has no valid Series Instance UID (0020,000E).");
        }

        if (Uid(dicom.Instance.SopInstanceUid) is not { } instanceUid || Uid(dicom.Instance.SopClassUid) is not { } sopClass)
        {
            return MappingResult.Failure("dicom.missing-sop-uid", "The file lacks a valid SOP Instance UID (0008,0018) or SOP Class UID (0008,0016).");
        }

        if (MatchIdentifier(dicom.Patient, input) is not { } match)
        {
            return MappingResult.Failure("dicom.missing-patient-identifier",
                "The file has no Patient ID (0010,0020) with an Issuer of Patient ID (0010,0021) and the upload names no patient identifier.");
        }

        var bundle = new TransactionBundleBuilder(input.OriginalSha256);
        string patientUrl = bundle.AddPatient("patient", Patient(dicom.Patient, match), match);
        var study = new JsonObject
        {
            ["resourceType"] = "ImagingStudy",
            ["identifier"] = Identifiers(studyUid, dicom.Study.AccessionNumber),
            ["status"] = "available",
        };
        string modality = FhirValues.Code(dicom.Series.Modality) ?? "OT";
        study["modality"] = new JsonArray(ModalityCoding(modality));
        study["subject"] = FhirValues.Reference(patientUrl);
        if (Started(dicom.Study) is { } started)
        {
            study["started"] = started;
        }

        if (Name(dicom.Study.ReferringPhysicianName) is { } referrer)
        {
            study["referrer"] = FhirValues.DisplayReference(referrer);
        }

        study["numberOfSeries"] = 1;
        study["numberOfInstances"] = 1;
        if (FhirValues.Text(dicom.Study.StudyDescription) is { } description)
        {
            study["description"] = description;
        }

        study["series"] = new JsonArray(Series(dicom, seriesUid, modality, instanceUid, sopClass));
        bundle.Add(bundle.FullUrl("imagingstudy"), study);
        return MappingResult.Success(bundle.Build());
    }

    private static JsonObject Series(DicomMetadata dicom, string seriesUid, string modality, string instanceUid, string sopClass)
    {
        var series = new JsonObject { ["uid"] = seriesUid };
        if (dicom.Series.SeriesNumber is { } number and >= 0)
        {
            series["number"] = number;
        }

        series["modality"] = ModalityCoding(modality);
        if (FhirValues.Text(dicom.Series.SeriesDescription) is { } description)
        {
            series["description"] = description;
        }

        series["numberOfInstances"] = 1;
        if (FhirValues.Text(dicom.Series.BodyPartExamined) is { } bodyPart)
        {
            series["bodySite"] = BodyParts.TryGetValue(bodyPart, out var snomed)
                ? new JsonObject { ["system"] = "http://snomed.info/sct", ["code"] = snomed.Code, ["display"] = snomed.Display }
                : new JsonObject { ["display"] = bodyPart };
        }

        var instance = new JsonObject
        {
            ["uid"] = instanceUid,
            ["sopClass"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["code"] = "urn:oid:" + sopClass },
        };
        if (dicom.Instance.InstanceNumber is { } instanceNumber and >= 0)
        {
            instance["number"] = instanceNumber;
        }

        series["instance"] = new JsonArray(instance);
        return series;
    }

    private static JsonArray Identifiers(string studyUid, string? accession)
    {
        // FHIR R4 ImagingStudy §"Study UID": identifier system urn:dicom:uid, value the UID as an urn:oid.
        var identifiers = new JsonArray(new JsonObject { ["system"] = "urn:dicom:uid", ["value"] = "urn:oid:" + studyUid });
        if (FhirValues.Text(accession) is { } acsn)
        {
            identifiers.Add(new JsonObject
            {
                ["type"] = FhirValues.CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "ACSN", null),
                ["value"] = acsn,
            });
        }

        return identifiers;
    }

    /// <summary>A UID as FHIR's <c>id</c> type holds it (PS3.5 §9.1: digits and dots, at most 64 characters).</summary>
    private static string? Uid(string? uid) =>
        uid is { Length: > 0 and <= 64 } && !uid.AsSpan().ContainsAnyExcept(UidCharacters) ? uid : null;

    private static readonly System.Buffers.SearchValues<char> UidCharacters = System.Buffers.SearchValues.Create("0123456789.");

    private static JsonObject ModalityCoding(string modality) => new() { ["system"] = DicomOntology, ["code"] = modality };

    /// <summary>Study date (and time): without (0008,0201) Timezone Offset the time has no offset, so only the date is kept.</summary>
    private static string? Started(DicomStudy study) => study.StudyDate is { } date ? FhirValues.Date(date) : null;

    private static PatientIdentifier? MatchIdentifier(DicomPatient patient, MappingInput input)
    {
        if (FhirValues.Text(patient.PatientId) is { } id && IdentifierSystems.FromIssuer(patient.IssuerOfPatientId) is { } system)
        {
            return new PatientIdentifier(system, id);
        }

        return Hl7v2.Hl7PatientMapper.FromUpload(input);
    }

    private static JsonObject Patient(DicomPatient dicom, PatientIdentifier match)
    {
        var identifiers = new JsonArray(new JsonObject { ["system"] = match.System, ["value"] = match.Value });
        if (FhirValues.Text(dicom.PatientId) is { } id && id != match.Value)
        {
            // A Patient ID without an issuer: kept, but not matched on.
            identifiers.Add(new JsonObject { ["value"] = id });
        }

        var patient = new JsonObject { ["resourceType"] = "Patient", ["identifier"] = identifiers };
        if (dicom.Name is { } name)
        {
            var human = new JsonObject();
            if (FhirValues.Text(name.FamilyName) is { } family)
            {
                human["family"] = family;
            }

            var given = new JsonArray();
            foreach (string? part in (ReadOnlySpan<string?>)[name.GivenName, name.MiddleName])
            {
                if (FhirValues.Text(part) is { } g)
                {
                    given.Add(g);
                }
            }

            if (given.Count > 0)
            {
                human["given"] = given;
            }

            if (FhirValues.Text(name.NamePrefix) is { } prefix)
            {
                human["prefix"] = new JsonArray(prefix);
            }

            if (FhirValues.Text(name.NameSuffix) is { } suffix)
            {
                human["suffix"] = new JsonArray(suffix);
            }

            if (human.Count > 0)
            {
                patient["name"] = new JsonArray(human);
            }
        }

        if (dicom.Sex is { } sex)
        {
            patient["gender"] = sex switch
            {
                DicomPatientSex.Male => "male",
                DicomPatientSex.Female => "female",
                _ => "other",
            };
        }

        if (dicom.BirthDate is { } birthDate)
        {
            patient["birthDate"] = FhirValues.Date(birthDate);
        }

        return patient;
    }

    private static string? Name(DicomPersonName? name)
    {
        if (name is null)
        {
            return null;
        }

        var sb = new StringBuilder();
        foreach (string? part in (ReadOnlySpan<string?>)[name.NamePrefix, name.GivenName, name.MiddleName, name.FamilyName, name.NameSuffix])
        {
            if (!string.IsNullOrWhiteSpace(part))
            {
                sb.Append(sb.Length > 0 ? " " : string.Empty).Append(part.Trim());
            }
        }

        return FhirValues.Text(sb.Length > 0 ? sb.ToString() : name.Raw);
    }

    private static MappingError ToMappingError(DicomError error) => error.Code switch
    {
        DicomErrorCode.NotDicom => new("dicom.not-dicom", "The file is not DICOM Part 10: " + error.Message),
        DicomErrorCode.TruncatedElement => new("dicom.truncated", "The file is truncated: " + error.Message),
        DicomErrorCode.InvalidDeflate => new("dicom.invalid-deflate", "The deflated data set cannot be inflated: " + error.Message),
        _ when error.Kind == DicomErrorKind.TooLarge => new("dicom.too-large", "The file exceeds a reader limit: " + error.Message),
        _ => new("dicom.malformed", "The file is malformed: " + error.Message),
    };
}
