using System.Globalization;
using System.Text;
using Carevault.Hl7v2.Types;

namespace Carevault.Hl7v2.Messages;

/// <summary>Reads the segments ingestion cares about into the typed model; collects warnings as it goes.</summary>
internal sealed class SegmentMapper(Hl7Message message)
{
    private readonly List<Hl7Warning> _warnings = [.. message.Warnings];

    public IReadOnlyList<Hl7Warning> Warnings => _warnings;

    public Hl7MessageHeader Header()
    {
        Hl7Segment msh = message.Header;
        return new Hl7MessageHeader
        {
            SendingApplication = Hl7HierarchicDesignator.FromField(msh.Field(3)),
            SendingFacility = Hl7HierarchicDesignator.FromField(msh.Field(4)),
            ReceivingApplication = Hl7HierarchicDesignator.FromField(msh.Field(5)),
            ReceivingFacility = Hl7HierarchicDesignator.FromField(msh.Field(6)),
            DateTime = Date(msh, 7),
            MessageCode = message.MessageCode,
            TriggerEvent = message.TriggerEvent,
            ControlId = message.ControlId,
            ProcessingId = message.ProcessingId,
            Version = message.Version,
        };
    }

    public Hl7Patient Patient(Hl7Segment pid)
    {
        var identifiers = new List<Hl7Identifier>();
        if (Hl7Identifier.From(pid.Field(2).Repetition(0)) is { } external)
        {
            identifiers.Add(external);
        }

        Hl7Value pid3 = pid.Field(3);
        for (int r = 0; r < pid3.RepetitionCount; r++)
        {
            if (Hl7Identifier.From(pid3.Repetition(r)) is { } id)
            {
                identifiers.Add(id);
            }
        }

        var names = new List<Hl7PersonName>();
        Hl7Value pid5 = pid.Field(5);
        for (int r = 0; r < pid5.RepetitionCount; r++)
        {
            if (Hl7PersonName.From(pid5.Repetition(r)) is { } name)
            {
                names.Add(name);
            }
        }

        return new Hl7Patient
        {
            Identifiers = identifiers,
            Names = names,
            BirthDate = Date(pid, 7),
            Sex = pid.Field(8).Component(1).GetStringOrNull(),
        };
    }

    public Hl7Visit Visit(Hl7Segment pv1)
    {
        var doctors = new List<Hl7Practitioner>();
        Hl7Value pv17 = pv1.Field(7);
        for (int r = 0; r < pv17.RepetitionCount; r++)
        {
            if (Hl7Practitioner.From(pv17.Repetition(r)) is { } doctor)
            {
                doctors.Add(doctor);
            }
        }

        return new Hl7Visit
        {
            PatientClass = pv1.Field(2).Component(1).GetStringOrNull(),
            AssignedLocation = Hl7Location.From(pv1.Field(3).Repetition(0)),
            AttendingDoctors = doctors,
            VisitNumber = Hl7Identifier.From(pv1.Field(19).Repetition(0)),
            AdmitDateTime = Date(pv1, 44),
            DischargeDateTime = Date(pv1, 45),
        };
    }

    public static Hl7Note Note(Hl7Segment nte)
    {
        Hl7Value text = nte.Field(3);
        var sb = new StringBuilder();
        for (int r = 0; r < text.RepetitionCount; r++)
        {
            sb.Append(r > 0 ? "\n" : string.Empty).Append(text.Repetition(r).GetString());
        }

        return new Hl7Note
        {
            Source = nte.Field(2).GetStringOrNull(),
            Text = sb.ToString(),
            CommentType = Hl7CodedElement.From(nte.Field(4).Repetition(0)),
        };
    }

    public Hl7Order Order(Hl7Segment obr, IReadOnlyList<Hl7Observation> observations, IReadOnlyList<Hl7Note> notes) => new()
    {
        SetId = obr.Field(1).GetStringOrNull(),
        PlacerOrderNumber = Hl7EntityIdentifier.From(obr.Field(2).Repetition(0)),
        FillerOrderNumber = Hl7EntityIdentifier.From(obr.Field(3).Repetition(0)),
        UniversalServiceId = Hl7CodedElement.From(obr.Field(4).Repetition(0)),
        ObservationDateTime = Date(obr, 7),
        ResultsReportedDateTime = Date(obr, 22),
        ResultStatus = obr.Field(25).Component(1).GetStringOrNull(),
        Observations = observations,
        Notes = notes,
    };

    public Hl7Observation Observation(Hl7Segment obx, IReadOnlyList<Hl7Note> notes)
    {
        string? valueType = obx.Field(2).Component(1).GetStringOrNull();
        Hl7Value obx5 = obx.Field(5);
        var values = new List<Hl7ObservationValue>(Math.Max(1, obx5.RepetitionCount));
        for (int r = 0; r < obx5.RepetitionCount; r++)
        {
            values.Add(ObservationValue(valueType, obx5.Repetition(r), obx.Index + 1));
        }

        var flags = new List<string>();
        Hl7Value obx8 = obx.Field(8);
        for (int r = 0; r < obx8.RepetitionCount; r++)
        {
            if (obx8.Repetition(r).Component(1).GetStringOrNull() is { } flag)
            {
                flags.Add(flag);
            }
        }

        return new Hl7Observation
        {
            SetId = obx.Field(1).GetStringOrNull(),
            ValueType = valueType,
            Identifier = Hl7CodedElement.From(obx.Field(3).Repetition(0)),
            SubId = obx.Field(4).GetStringOrNull(),
            Values = values,
            Units = Hl7CodedElement.From(obx.Field(6).Repetition(0)),
            ReferenceRange = obx.Field(7).GetStringOrNull(),
            AbnormalFlags = flags,
            ResultStatus = obx.Field(11).GetStringOrNull(),
            ObservationDateTime = Date(obx, 14),
            Notes = notes,
        };
    }

    public Hl7DocumentHeader Document(Hl7Segment txa)
    {
        var providers = new List<Hl7Practitioner>();
        Hl7Value txa5 = txa.Field(5);
        for (int r = 0; r < txa5.RepetitionCount; r++)
        {
            if (Hl7Practitioner.From(txa5.Repetition(r)) is { } provider)
            {
                providers.Add(provider);
            }
        }

        return new Hl7DocumentHeader
        {
            SetId = txa.Field(1).GetStringOrNull(),
            DocumentType = txa.Field(2).Component(1).GetStringOrNull(),
            ContentPresentation = txa.Field(3).GetStringOrNull(),
            ActivityDateTime = Date(txa, 4),
            PrimaryActivityProviders = providers,
            OriginationDateTime = Date(txa, 6),
            TranscriptionDateTime = Date(txa, 7),
            UniqueDocumentNumber = Hl7EntityIdentifier.From(txa.Field(12).Repetition(0)),
            ParentDocumentNumber = Hl7EntityIdentifier.From(txa.Field(13).Repetition(0)),
            PlacerOrderNumber = Hl7EntityIdentifier.From(txa.Field(14).Repetition(0)),
            FillerOrderNumber = Hl7EntityIdentifier.From(txa.Field(15).Repetition(0)),
            UniqueDocumentFileName = txa.Field(16).GetStringOrNull(),
            CompletionStatus = txa.Field(17).GetStringOrNull(),
            ConfidentialityStatus = txa.Field(18).GetStringOrNull(),
            AvailabilityStatus = txa.Field(19).GetStringOrNull(),
        };
    }

    private Hl7ObservationValue ObservationValue(string? valueType, Hl7Value value, int segmentNumber)
    {
        string text = value.GetString();
        switch (valueType)
        {
            case "NM":
                return new Hl7ObservationValue { Text = text, Number = Decimal(text) };
            case "CE" or "CWE" or "CNE" or "CF":
                return new Hl7ObservationValue { Text = text, Coded = Hl7CodedElement.From(value) };
            case "SN":
                var sn = new Hl7StructuredNumeric
                {
                    Comparator = value.Component(1).GetStringOrNull(),
                    Number1 = Decimal(value.Component(2).GetString()),
                    SeparatorOrSuffix = value.Component(3).GetStringOrNull(),
                    Number2 = Decimal(value.Component(4).GetString()),
                };
                return new Hl7ObservationValue
                {
                    Text = text,
                    StructuredNumeric = sn,
                    Number = sn.Comparator is null && sn.SeparatorOrSuffix is null ? sn.Number1 : null,
                };
            case "DT" or "DTM" or "TS":
                return new Hl7ObservationValue { Text = text, DateTime = Date(value.Component(1), $"segment {segmentNumber}, OBX-5") };
            case "ED":
                return new Hl7ObservationValue { Text = text, Encapsulated = Encapsulated(value, $"segment {segmentNumber}, OBX-5") };
            default:
                return new Hl7ObservationValue { Text = text };
        }
    }

    private Hl7EncapsulatedData Encapsulated(Hl7Value value, string target)
    {
        string? encoding = value.Component(4).GetStringOrNull();
        var data = new Hl7EncapsulatedData
        {
            SourceApplication = Hl7HierarchicDesignator.FromComponent(value.Component(1)),
            TypeOfData = value.Component(2).GetStringOrNull(),
            DataSubtype = value.Component(3).GetStringOrNull(),
            Encoding = encoding,
        };

        Hl7Value payload = value.Component(5);
        if (payload.IsEmpty || payload.IsExplicitNull)
        {
            return Problem(data, Hl7WarningCode.EmptyEncapsulatedData, "ED data (component 5) is empty; there is no content.", target + ".5");
        }

        if (string.Equals(encoding, "Base64", StringComparison.OrdinalIgnoreCase))
        {
            string base64 = payload.GetString();
            byte[] bytes = new byte[(base64.Length / 4 * 3) + 3];
            return Convert.TryFromBase64String(base64, bytes, out int written)
                ? data with { Content = bytes.AsMemory(0, written) }
                : Problem(data, Hl7WarningCode.InvalidBase64, "ED data is declared Base64 but is not valid base64.", target + ".5");
        }

        if (encoding is null || string.Equals(encoding, "A", StringComparison.OrdinalIgnoreCase))
        {
            return data with { Content = message.Encoding.GetBytes(payload.GetString()) };
        }

        if (string.Equals(encoding, "Hex", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return data with { Content = Convert.FromHexString(payload.GetString()) };
            }
            catch (FormatException)
            {
                return Problem(data, Hl7WarningCode.UnsupportedEncapsulatedEncoding, "ED data is declared Hex but is not valid hex.", target + ".5");
            }
        }

        return Problem(data, Hl7WarningCode.UnsupportedEncapsulatedEncoding, "ED encoding (component 4) is not Base64, Hex or A.", target + ".4");
    }

    private Hl7EncapsulatedData Problem(Hl7EncapsulatedData data, Hl7WarningCode code, string text, string target)
    {
        _warnings.Add(new Hl7Warning(code, text, target));
        return data with { Problem = code };
    }

    private Hl7DateTime? Date(Hl7Segment segment, int field)
    {
        Hl7Value value = segment.Field(field).Repetition(0).Component(1);
        return TryDate(value, out Hl7DateTime? parsed) ? parsed : InvalidDate($"{segment.Id}-{field}");
    }

    private Hl7DateTime? Date(Hl7Value value, string target) =>
        TryDate(value, out Hl7DateTime? parsed) ? parsed : InvalidDate(target);

    /// <summary>True when empty (null result) or valid; the warning target is built only for the rare invalid value.</summary>
    private static bool TryDate(Hl7Value value, out Hl7DateTime? result)
    {
        result = null;
        if (value.IsEmpty || value.IsExplicitNull)
        {
            return true;
        }

        if (Hl7DateTime.TryParse(value.GetString().AsSpan().Trim(), out Hl7DateTime parsed))
        {
            result = parsed;
            return true;
        }

        return false;
    }

    private Hl7DateTime? InvalidDate(string target)
    {
        _warnings.Add(new Hl7Warning(Hl7WarningCode.InvalidDateTime, "A date/time is not a valid HL7 DTM.", target));
        return null;
    }

    private static decimal? Decimal(string text) =>
        decimal.TryParse(text.AsSpan().Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal d)
            ? d
            : null;
}
