using System.Text;
using System.Text.Json.Nodes;
using Carevault.Hl7v2;
using Carevault.Hl7v2.Messages;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>
/// MDM^T02 → Patient and a DocumentReference whose content is the embedded document (OBX ED, decoded) or the
/// document text (OBX TX/FT/ST), each as an inline attachment. A message whose content is missing or undecodable
/// is an error: a DocumentReference without its document would be misleading.
/// </summary>
internal static class MdmT02ToDocumentReferenceMapper
{
    public static MappingError? Map(Hl7Message message, string prefix, MappingInput input, TransactionBundleBuilder bundle)
    {
        Hl7Result<MdmT02Message> read = MdmT02Reader.Read(message);
        if (!read.IsSuccess)
        {
            return Hl7v2ReportMapper.ToMappingError(read.Error!);
        }

        MdmT02Message mdm = read.Value!;
        var content = new JsonArray();
        foreach (Hl7DocumentContent part in mdm.Contents)
        {
            if (part.Problem is not null)
            {
                continue;
            }

            if (part.ValueType == "ED" && !part.Data.IsEmpty)
            {
                string contentType = FhirValues.Code(part.MediaType) ?? "application/octet-stream";
                content.Add(new JsonObject { ["attachment"] = Attachments.Inline(contentType, part.Data.Span) });
            }
            else if (part.Text is { Length: > 0 } text)
            {
                content.Add(new JsonObject { ["attachment"] = Attachments.Inline("text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text)) });
            }
        }

        if (content.Count == 0)
        {
            return new MappingError("hl7.mdm-missing-document",
                "The MDM^T02 message carries no document: no OBX holds decodable ED data or text.");
        }

        Hl7Segment? pid = message.FindSegment("PID");
        if (Hl7PatientMapper.MatchIdentifier(pid, input) is not { } match)
        {
            return Hl7v2ReportMapper.MissingPatientIdentifier;
        }

        var dates = new Hl7Dates(mdm.Header.DateTime?.Offset);
        string patientUrl = bundle.AddPatient(prefix + "/patient", Hl7PatientMapper.ToPatient(mdm.Patient, match, pid), match);
        Hl7DocumentHeader txa = mdm.Document;
        var document = new JsonObject { ["resourceType"] = "DocumentReference" };
        if (txa.UniqueDocumentNumber is { } number && FhirValues.Text(number.Value) is { } value)
        {
            var identifier = new JsonObject();
            if (IdentifierSystems.FromAuthority(number.NamespaceId, number.UniversalId, number.UniversalIdType) is { } system)
            {
                identifier["system"] = system;
            }

            identifier["value"] = value;
            document["masterIdentifier"] = identifier;
        }

        // TXA-19 availability (table 0275): OB obsolete, CA canceled; TXA-17 completion (table 0271).
        document["status"] = txa.AvailabilityStatus switch
        {
            "OB" or "UN" => "superseded",
            "CA" => "entered-in-error",
            _ => "current",
        };
        if (txa.CompletionStatus switch
            {
                "AU" or "LA" or "DO" => "final",
                "DI" or "IP" or "IN" or "PA" => "preliminary",
                _ => null,
            } is { } docStatus)
        {
            document["docStatus"] = docStatus;
        }

        if (FhirValues.Code(txa.DocumentType) is { } type)
        {
            document["type"] = FhirValues.CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0270", type, null);
        }
        else if (FhirValues.Text(input.ReportType) is { } reportType)
        {
            document["type"] = new JsonObject { ["text"] = reportType };
        }

        document["subject"] = FhirValues.Reference(patientUrl);
        if ((dates.Instant(txa.OriginationDateTime) ?? dates.Instant(txa.ActivityDateTime) ?? dates.Instant(mdm.Header.DateTime)) is { } date)
        {
            document["date"] = date;
        }

        document["content"] = content;
        bundle.Add(bundle.FullUrl(prefix + "/document"), document);
        return null;
    }
}
