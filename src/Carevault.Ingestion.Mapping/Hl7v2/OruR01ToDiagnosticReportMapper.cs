using System.Text.Json.Nodes;
using Carevault.Hl7v2;
using Carevault.Hl7v2.Messages;
using Carevault.Hl7v2.Types;
using Carevault.Ingestion.Mapping.Fhir;

namespace Carevault.Ingestion.Mapping.Hl7v2;

/// <summary>
/// ORU^R01 → per PATIENT_RESULT a Patient, per OBR a DiagnosticReport and per OBX an Observation. OBX that come
/// before any OBR become Observations without a report.
/// </summary>
internal static class OruR01ToDiagnosticReportMapper
{
    public static MappingError? Map(Hl7Message message, string prefix, MappingInput input, TransactionBundleBuilder bundle)
    {
        Hl7Result<OruR01Message> read = OruR01Reader.Read(message);
        if (!read.IsSuccess)
        {
            return Hl7v2ReportMapper.ToMappingError(read.Error!);
        }

        OruR01Message oru = read.Value!;
        var dates = new Hl7Dates(oru.Header.DateTime?.Offset);
        string? messageInstant = dates.Instant(oru.Header.DateTime);
        int pidOccurrence = 0;
        for (int p = 0; p < oru.PatientResults.Count; p++)
        {
            OruPatientResult group = oru.PatientResults[p];
            // The reader opens a group per PID, so the n-th group with a patient is the n-th PID segment.
            Hl7Segment? pid = group.Patient is null ? null : message.FindSegment("PID", pidOccurrence++);
            if (Hl7PatientMapper.MatchIdentifier(pid, input) is not { } match)
            {
                return Hl7v2ReportMapper.MissingPatientIdentifier;
            }

            string key = $"{prefix}/p{p}";
            string patientUrl = bundle.AddPatient(key + "/patient", Hl7PatientMapper.ToPatient(group.Patient, match, pid), match);
            for (int o = 0; o < group.Orders.Count; o++)
            {
                Hl7Order order = group.Orders[o];
                string orderKey = $"{key}/obr{o}";
                var results = new JsonArray();
                for (int x = 0; x < order.Observations.Count; x++)
                {
                    string url = bundle.FullUrl($"{orderKey}/obx{x}");
                    bundle.Add(url, Observation(order.Observations[x], order, patientUrl, dates));
                    results.Add(FhirValues.Reference(url));
                }

                if (order.UniversalServiceId is not null || order.ResultStatus is not null || order.FillerOrderNumber is not null)
                {
                    bundle.Add(bundle.FullUrl(orderKey), Report(order, patientUrl, results, dates, messageInstant));
                }
            }
        }

        return null;
    }

    private static JsonObject Report(Hl7Order order, string patientUrl, JsonArray results, Hl7Dates dates, string? messageInstant)
    {
        var report = new JsonObject { ["resourceType"] = "DiagnosticReport" };
        var identifiers = new JsonArray();
        AddIdentifier(identifiers, order.PlacerOrderNumber, "PLAC");
        AddIdentifier(identifiers, order.FillerOrderNumber, "FILL");
        if (identifiers.Count > 0)
        {
            report["identifier"] = identifiers;
        }

        report["status"] = Hl7ObservationValues.ReportStatus(order.ResultStatus);
        report["code"] = Hl7CodeSystems.ToCodeableConcept(order.UniversalServiceId) ?? new JsonObject { ["text"] = "Unspecified report" };
        report["subject"] = FhirValues.Reference(patientUrl);
        if (dates.DateTime(order.ObservationDateTime) is { } effective)
        {
            report["effectiveDateTime"] = effective;
        }

        if ((dates.Instant(order.ResultsReportedDateTime) ?? messageInstant) is { } issued)
        {
            report["issued"] = issued;
        }

        if (results.Count > 0)
        {
            report["result"] = results;
        }

        if (Notes(order.Notes) is { } conclusion)
        {
            report["conclusion"] = conclusion;
        }

        return report;
    }

    private static JsonObject Observation(Hl7Observation obx, Hl7Order order, string patientUrl, Hl7Dates dates)
    {
        var observation = new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = Hl7ObservationValues.ObservationStatus(obx.ResultStatus),
            ["code"] = Hl7CodeSystems.ToCodeableConcept(obx.Identifier) ?? new JsonObject { ["text"] = "Unspecified observation" },
            ["subject"] = FhirValues.Reference(patientUrl),
        };
        if (dates.DateTime(obx.ObservationDateTime ?? order.ObservationDateTime) is { } effective)
        {
            observation["effectiveDateTime"] = effective;
        }

        Hl7ObservationValues.AddValue(observation, obx, dates);
        if (Hl7ObservationValues.Interpretation(obx.AbnormalFlags) is { } interpretation)
        {
            observation["interpretation"] = interpretation;
        }

        if (Notes(obx.Notes) is { } note)
        {
            observation["note"] = new JsonArray(new JsonObject { ["text"] = note });
        }

        if (Hl7ObservationValues.ReferenceRange(obx.ReferenceRange, obx.Units) is { } range)
        {
            observation["referenceRange"] = new JsonArray(range);
        }

        return observation;
    }

    private static string? Notes(IReadOnlyList<Hl7Note> notes)
    {
        if (notes.Count == 0)
        {
            return null;
        }

        var texts = new string[notes.Count];
        for (int i = 0; i < notes.Count; i++)
        {
            texts[i] = notes[i].Text;
        }

        return FhirValues.Text(string.Join('\n', texts));
    }

    private static void AddIdentifier(JsonArray identifiers, Hl7EntityIdentifier? ei, string type)
    {
        if (ei is null || FhirValues.Text(ei.Value) is not { } value)
        {
            return;
        }

        var identifier = new JsonObject
        {
            ["type"] = FhirValues.CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", type, null),
        };
        if (IdentifierSystems.FromAuthority(ei.NamespaceId, ei.UniversalId, ei.UniversalIdType) is { } system)
        {
            identifier["system"] = system;
        }

        identifier["value"] = value;
        identifiers.Add(identifier);
    }
}
