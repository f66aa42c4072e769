namespace Carevault.Hl7v2.Messages;

/// <summary>Reads an ORU^R01 into <see cref="OruR01Message"/>.</summary>
public static class OruR01Reader
{
    /// <summary>Fails with <see cref="Hl7ErrorCode.UnexpectedMessageType"/> for anything but ORU^R01.</summary>
    public static Hl7Result<OruR01Message> Read(Hl7Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.MessageCode != "ORU" || message.TriggerEvent != "R01")
        {
            return Hl7Result.Failure<OruR01Message>(ReaderErrors.UnexpectedType("ORU^R01"));
        }

        var mapper = new SegmentMapper(message);
        var results = new List<OruPatientResult>();
        var group = new GroupBuilder();
        foreach (Hl7Segment segment in message.Segments)
        {
            if (segment.Is("PID"))
            {
                if (group.HasContent)
                {
                    results.Add(group.Build(mapper));
                }

                group = new GroupBuilder { Patient = mapper.Patient(segment) };
            }
            else if (segment.Is("PV1") && group.Visit is null)
            {
                group.Visit = mapper.Visit(segment);
            }
            else if (segment.Is("OBR"))
            {
                group.StartOrder(segment);
            }
            else if (segment.Is("OBX"))
            {
                group.StartObservation(segment);
            }
            else if (segment.Is("NTE"))
            {
                group.AddNote(SegmentMapper.Note(segment));
            }
        }

        results.Add(group.Build(mapper));
        return Hl7Result.Success(new OruR01Message
        {
            Header = mapper.Header(),
            PatientResults = results,
            Warnings = mapper.Warnings,
        });
    }

    /// <summary>
    /// Collects one PATIENT_RESULT group. NTE attaches to the latest OBX, else the latest OBR, else the patient —
    /// the positions HL7 v2.5.1 §7.3.1 allows for NTE in ORU_R01.
    /// </summary>
    private sealed class GroupBuilder
    {
        private readonly List<Hl7Note> _patientNotes = [];
        private readonly List<(Hl7Segment? Obr, List<Hl7Note> Notes, List<(Hl7Segment Obx, List<Hl7Note> Notes)> Observations)> _orders = [];

        public Hl7Patient? Patient { get; init; }

        public Hl7Visit? Visit { get; set; }

        public bool HasContent => Patient is not null || Visit is not null || _orders.Count > 0 || _patientNotes.Count > 0;

        public void StartOrder(Hl7Segment obr) => _orders.Add((obr, [], []));

        public void StartObservation(Hl7Segment obx)
        {
            if (_orders.Count == 0)
            {
                // OBX before any OBR (seen in the wild): keep it under an order with no OBR.
                _orders.Add((null, [], []));
            }

            _orders[^1].Observations.Add((obx, []));
        }

        public void AddNote(Hl7Note note)
        {
            if (_orders.Count == 0)
            {
                _patientNotes.Add(note);
            }
            else if (_orders[^1].Observations.Count > 0)
            {
                _orders[^1].Observations[^1].Notes.Add(note);
            }
            else
            {
                _orders[^1].Notes.Add(note);
            }
        }

        public OruPatientResult Build(SegmentMapper mapper)
        {
            var orders = new List<Hl7Order>(_orders.Count);
            foreach ((Hl7Segment? obr, List<Hl7Note> notes, List<(Hl7Segment Obx, List<Hl7Note> Notes)> observations) in _orders)
            {
                var mapped = new List<Hl7Observation>(observations.Count);
                foreach ((Hl7Segment obx, List<Hl7Note> obxNotes) in observations)
                {
                    mapped.Add(mapper.Observation(obx, obxNotes));
                }

                orders.Add(obr is { } o
                    ? mapper.Order(o, mapped, notes)
                    : new Hl7Order { Observations = mapped, Notes = notes });
            }

            return new OruPatientResult { Patient = Patient, Visit = Visit, Notes = _patientNotes, Orders = orders };
        }
    }
}

/// <summary>Reads ADT^A01, ADT^A04 and ADT^A08 (all ADT_A01 structure) into <see cref="AdtMessage"/>.</summary>
public static class AdtReader
{
    /// <summary>Fails for other message types, or when PID or PV1 is missing.</summary>
    public static Hl7Result<AdtMessage> Read(Hl7Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.MessageCode != "ADT" || message.TriggerEvent is not ("A01" or "A04" or "A08"))
        {
            return Hl7Result.Failure<AdtMessage>(ReaderErrors.UnexpectedType("ADT^A01, ADT^A04 or ADT^A08"));
        }

        if (message.FindSegment("PID") is not { } pid)
        {
            return Hl7Result.Failure<AdtMessage>(ReaderErrors.Missing("PID"));
        }

        if (message.FindSegment("PV1") is not { } pv1)
        {
            return Hl7Result.Failure<AdtMessage>(ReaderErrors.Missing("PV1"));
        }

        var mapper = new SegmentMapper(message);
        Hl7Segment? evn = message.FindSegment("EVN");
        string eventType = evn?.GetValue(1) is { Length: > 0 } code ? code : message.TriggerEvent;
        Types.Hl7DateTime? recorded = null;
        if (evn is { } e && Types.Hl7DateTime.TryParse(e.GetValue(2), out Types.Hl7DateTime parsed))
        {
            recorded = parsed;
        }

        return Hl7Result.Success(new AdtMessage
        {
            Header = mapper.Header(),
            EventType = eventType,
            RecordedDateTime = recorded,
            Patient = mapper.Patient(pid),
            Visit = mapper.Visit(pv1),
            Warnings = mapper.Warnings,
        });
    }
}

/// <summary>Reads MDM^T02 into <see cref="MdmT02Message"/>, decoding ED content.</summary>
public static class MdmT02Reader
{
    /// <summary>Fails for other message types, or when PID or TXA is missing. An empty ED is a warning, not a failure.</summary>
    public static Hl7Result<MdmT02Message> Read(Hl7Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.MessageCode != "MDM" || message.TriggerEvent != "T02")
        {
            return Hl7Result.Failure<MdmT02Message>(ReaderErrors.UnexpectedType("MDM^T02"));
        }

        if (message.FindSegment("PID") is not { } pid)
        {
            return Hl7Result.Failure<MdmT02Message>(ReaderErrors.Missing("PID"));
        }

        if (message.FindSegment("TXA") is not { } txa)
        {
            return Hl7Result.Failure<MdmT02Message>(ReaderErrors.Missing("TXA"));
        }

        var mapper = new SegmentMapper(message);
        var observations = new List<Hl7Observation>();
        var contents = new List<Hl7DocumentContent>();
        foreach (Hl7Segment obx in message.SegmentsWithId("OBX"))
        {
            Hl7Observation observation = mapper.Observation(obx, []);
            observations.Add(observation);
            if (Content(observation, observations.Count - 1) is { } content)
            {
                contents.Add(content);
            }
        }

        return Hl7Result.Success(new MdmT02Message
        {
            Header = mapper.Header(),
            Patient = mapper.Patient(pid),
            Visit = message.FindSegment("PV1") is { } pv1 ? mapper.Visit(pv1) : null,
            Document = mapper.Document(txa),
            Observations = observations,
            Contents = contents,
            Warnings = mapper.Warnings,
        });
    }

    private static Hl7DocumentContent? Content(Hl7Observation observation, int index)
    {
        switch (observation.ValueType)
        {
            case "ED":
                Hl7EncapsulatedData? ed = observation.Values.Count > 0 ? observation.Values[0].Encapsulated : null;
                return new Hl7DocumentContent
                {
                    ObservationIndex = index,
                    ValueType = "ED",
                    MediaType = ed?.MediaType,
                    Data = ed?.Content ?? default,
                    Problem = ed is null ? Hl7WarningCode.EmptyEncapsulatedData : ed.Problem,
                };
            case "TX" or "FT" or "ST":
                return new Hl7DocumentContent
                {
                    ObservationIndex = index,
                    ValueType = observation.ValueType,
                    MediaType = "text/plain",
                    Text = string.Join('\n', observation.Values.Select(v => v.Text)),
                };
            default:
                return null;
        }
    }
}

internal static class ReaderErrors
{
    public static Hl7Error UnexpectedType(string expected) =>
        Hl7Error.Invalid(Hl7ErrorCode.UnexpectedMessageType, $"The message type (MSH-9) is not {expected}.", "MSH-9");

    public static Hl7Error Missing(string segment) =>
        Hl7Error.Invalid(Hl7ErrorCode.MissingSegment, $"The required {segment} segment is missing.", segment);
}
