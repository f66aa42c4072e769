using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Identity.Authorization;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Portal.CheckIns;
using Carevault.Portal.Records;
using Carevault.Records.Access;
using Carevault.Records.Search;
using Carevault.Records.Store;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.Clinical;

/// <summary>
/// The doctor's clinical work (issue 8 items 2–3), all FHIR R4 through <see cref="ResourceStore"/>:
/// - the tenant's patients, searched by name, birth date or identifier, paged by the store's cursor;
/// - a patient's chart: alerts, notes, conditions, allergies, visits, prescriptions, lab results and check-ins;
/// - entries: a note is a <c>DocumentReference</c> (LOINC 11506-3 progress note, a text/plain attachment, author the
///   doctor's Practitioner, context.encounter when chosen); a problem is a <c>Condition</c> and an allergy an
///   <c>AllergyIntolerance</c> (recorder the doctor); a prescription a <c>MedicationRequest</c> (requester the doctor,
///   intent order); stopping it writes status <c>stopped</c>.
/// Who may do what is decided here with <see cref="AccessPolicy.Clinical"/>: a doctor reads the tenant's records and
/// creates entries, and changes only entries they authored (its recorder/author/requester is their Practitioner); a
/// change names the version the doctor read (If-Match), so a concurrent change is refused, never lost, and the store
/// keeps every version. Another patient's or tenant's entry is "not found".
/// </summary>
public sealed class ClinicalChart(ResourceStore store, SearchQueryParser parser, OwnershipRules authorship, TimeProvider clock)
{
    public const int PatientPageSize = 20;
    public const int MaxNoteLength = 10_000;
    public const int MaxTitleLength = 200;
    public const int MaxDosageLength = 500;

    /// <summary>How many entries of each kind the chart reads (newest kept; the store pages in creation order).</summary>
    public const int MaxScanned = 1000;

    const int ListSize = 100;
    const string Loinc = "http://loinc.org";
    const string RxNormSystem = "http://www.nlm.nih.gov/research/umls/rxnorm";
    const string ProgressNote = "11506-3";

    /// <summary>R4 condition-clinical codes (http://terminology.hl7.org/CodeSystem/condition-clinical).</summary>
    public static readonly IReadOnlyList<string> ConditionStatuses = ["active", "recurrence", "relapse", "inactive", "remission", "resolved"];

    /// <summary>R4 allergyintolerance-clinical codes.</summary>
    public static readonly IReadOnlyList<string> AllergyStatuses = ["active", "inactive", "resolved"];

    /// <summary>R4 allergy-intolerance-criticality codes.</summary>
    public static readonly IReadOnlyList<string> Criticalities = ["low", "high", "unable-to-assess"];

    static readonly Ownership Unowned = Ownership.None;

    // ---- Reading ------------------------------------------------------------------------------------------------

    /// <summary>The tenant's patients matching <paramref name="search"/>, by name; <paramref name="cursor"/> continues a search.</summary>
    public async Task<PatientPage> FindPatientsAsync(CallerContext caller, PatientSearch search, string? cursor, CancellationToken ct)
    {
        if (!IsDoctor(caller) || AccessPolicy.Clinical(caller, caller.TenantId, "Patient", ClinicalAction.Search, Unowned) != Access.Allowed) return new PatientPage([], null);
        var criteria = new List<KeyValuePair<string, string>> { new("_sort", "name"), new("_count", PatientPageSize.ToString(CultureInfo.InvariantCulture)) };
        if (!string.IsNullOrWhiteSpace(search.Name)) criteria.Add(new("name", search.Name.Trim()));
        if (!string.IsNullOrWhiteSpace(search.BirthDate)) criteria.Add(new("birthdate", search.BirthDate.Trim()));
        if (!string.IsNullOrWhiteSpace(search.Identifier)) criteria.Add(new("identifier", search.Identifier.Trim()));
        if (!string.IsNullOrEmpty(cursor)) criteria.Add(new(SearchQueryParser.CursorParameter, cursor));
        var parsed = parser.Parse("Patient", criteria, strict: true);
        // A hostile cursor or value is the caller's mistake: an empty page, not a server error.
        if (parsed.Error is not null) return new PatientPage([], null);
        var page = await store.SearchAsync(caller.TenantId, parsed.Value!, ct);
        var patients = new List<PatientSummary>();
        foreach (var resource in page.Resources)
        {
            using var document = JsonDocument.Parse(resource.Body);
            patients.Add(Summary(resource.Id, document.RootElement));
        }
        return new PatientPage(patients, page.NextAfter);
    }

    /// <summary>The patient's chart; null when the caller is not a doctor or the Patient does not exist in their tenant.</summary>
    public async Task<PatientChart?> ChartAsync(CallerContext caller, string patientId, CancellationToken ct)
    {
        if (!IsDoctor(caller) || AccessPolicy.Clinical(caller, caller.TenantId, "Patient", ClinicalAction.Read, Unowned) != Access.Allowed) return null;
        var read = await store.ReadAsync(caller.TenantId, "Patient", patientId, ct);
        if (read.Value is not { } patient) return null;
        PatientSummary summary;
        using (var document = JsonDocument.Parse(patient.Body)) summary = Summary(patient.Id, document.RootElement);
        var me = caller.PractitionerId;

        var notes = (await SearchAsync(caller, "DocumentReference", patientId, [new("type", Loinc + "|" + ProgressNote)], ct))
            .Select(r => Entry(r, (root, e) => e with
            {
                Title = "Note",
                Body = NoteText(root),
                Status = Text(root, "docStatus"),
                When = Time(root, "date"),
                Author = AuthorDisplay(root, "author"),
                Mine = me is not null && authorship.AuthoredBy("DocumentReference", root, me),
            }));
        var conditions = (await SearchAsync(caller, "Condition", patientId, [], ct))
            .Select(r => Entry(r, (root, e) => e with
            {
                Title = ConceptText(root, "code") ?? "Condition",
                Status = Code(root, "clinicalStatus"),
                When = Time(root, "recordedDate") ?? Time(root, "onsetDateTime"),
                Author = AuthorDisplay(root, "recorder"),
                Mine = me is not null && authorship.AuthoredBy("Condition", root, me),
            }));
        var allergies = (await SearchAsync(caller, "AllergyIntolerance", patientId, [], ct))
            .Select(r => Entry(r, (root, e) => e with
            {
                Title = ConceptText(root, "code") ?? "Allergy",
                Status = Code(root, "clinicalStatus"),
                Code = Text(root, "criticality"),
                When = Time(root, "recordedDate") ?? Time(root, "onsetDateTime"),
                Author = AuthorDisplay(root, "recorder"),
                Mine = me is not null && authorship.AuthoredBy("AllergyIntolerance", root, me),
            }));
        var encounters = (await SearchAsync(caller, "Encounter", patientId, [], ct))
            .Select(r => Entry(r, (root, e) => e with
            {
                Title = EncounterTitle(root),
                Status = Text(root, "status"),
                When = root.TryGetProperty("period", out var period) ? Time(period, "start") : null,
            }));
        var medications = (await SearchAsync(caller, "MedicationRequest", patientId, [], ct))
            .Select(r => Entry(r, (root, e) => e with
            {
                Title = ConceptText(root, "medicationCodeableConcept") ?? "Medication",
                Code = RxNormOf(root),
                Body = DosageText(root),
                Status = Text(root, "status"),
                When = Time(root, "authoredOn"),
                Author = AuthorDisplay(root, "requester"),
                Mine = me is not null && authorship.AuthoredBy("MedicationRequest", root, me),
            }));
        var labs = (await SearchAsync(caller, "Observation", patientId, [new("category", "laboratory")], ct))
            .Select(r => PortalRecords.ToLabResult(Parse(r.Body)));
        var responses = await SearchAsync(caller, "QuestionnaireResponse", patientId, [], ct, "subject");
        var flags = await SearchAsync(caller, "Flag", patientId, [], ct);

        return new PatientChart
        {
            Patient = summary,
            Alerts = flags.Select(f => Parse(f.Body)).Where(IsActiveCheckInAlert)
                .Select(f => new ChartAlert((f.TryGetProperty("code", out var code) ? Text(code, "text") : null) ?? "Check-in alert", f.TryGetProperty("period", out var p) ? Time(p, "start") : null))
                .OrderByDescending(a => a.When).ToList(),
            Notes = Newest(notes),
            Conditions = Newest(conditions),
            Allergies = Newest(allergies),
            Encounters = Newest(encounters),
            Medications = Newest(medications),
            LabResults = labs.OrderByDescending(l => l.When).Take(ListSize).ToList(),
            CheckIns = responses.Select(r => CheckIns.CheckIns.ResultOf(Parse(r.Body))).OfType<CheckInResult>().OrderByDescending(c => c.When).Take(ListSize).ToList(),
        };
    }

    /// <summary>The signed-in patient's own prescriptions: active ones first, then past ones, newest first.</summary>
    public async Task<IReadOnlyList<MedicationView>> MyMedicationsAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Kind: "user", Role: Roles.Patient, PatientId: { } patientId }) return [];
        var found = await SearchAsync(caller, "MedicationRequest", patientId, [], ct, ownCompartment: true);
        return found.Select(r =>
            {
                var root = Parse(r.Body);
                return new MedicationView(ConceptText(root, "medicationCodeableConcept") ?? "Medication", RxNormOf(root), DosageText(root),
                    Text(root, "status") ?? "unknown", Time(root, "authoredOn"), AuthorDisplay(root, "requester"));
            })
            .OrderByDescending(m => m.Active).ThenByDescending(m => m.Prescribed).ToList();
    }

    // ---- Writing ------------------------------------------------------------------------------------------------

    /// <summary>Stores a note on the patient as a DocumentReference authored by the doctor.</summary>
    public async Task<ClinicalResult> WriteNoteAsync(CallerContext caller, string patientId, NoteInput input, BeforeCommit? audit, CancellationToken ct)
    {
        if (Check(input.Text, MaxNoteLength, "note", "Note.Text") is { } invalid) return invalid;
        var (author, refusal) = await WriterAsync(caller, patientId, "DocumentReference", ct);
        if (refusal is not null) return refusal;
        var encounter = await EncounterAsync(caller.TenantId, patientId, input.EncounterId, "Note.EncounterId", ct);
        if (encounter.Refusal is not null) return encounter.Refusal;
        var now = clock.GetUtcNow();
        var note = new JsonObject
        {
            ["resourceType"] = "DocumentReference",
            ["status"] = "current",
            ["docStatus"] = "final",
            ["type"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = Loinc, ["code"] = ProgressNote, ["display"] = "Progress note" }),
                ["text"] = "Progress note",
            },
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["date"] = Instant(now),
            ["author"] = new JsonArray(author!.DeepClone()),
            ["content"] = new JsonArray(new JsonObject { ["attachment"] = Attachment(input.Text, now) }),
        };
        if (encounter.Reference is { } visit) note["context"] = new JsonObject { ["encounter"] = new JsonArray(new JsonObject { ["reference"] = visit }) };
        return await CreateAsync(caller.TenantId, "DocumentReference", note, audit, ct);
    }

    /// <summary>Adds a problem-list Condition recorded by the doctor.</summary>
    public async Task<ClinicalResult> AddConditionAsync(CallerContext caller, string patientId, ConditionInput input, BeforeCommit? audit, CancellationToken ct)
    {
        if (Check(input.Text, MaxTitleLength, "condition", "Condition.Text") is { } invalid) return invalid;
        if (!ConditionStatuses.Contains(input.ClinicalStatus)) return ClinicalResult.Refused("Choose the condition's status from the list.", 400, "Condition.Status");
        var (author, refusal) = await WriterAsync(caller, patientId, "Condition", ct);
        if (refusal is not null) return refusal;
        var condition = new JsonObject
        {
            ["resourceType"] = "Condition",
            ["clinicalStatus"] = Coded("http://terminology.hl7.org/CodeSystem/condition-clinical", input.ClinicalStatus),
            ["verificationStatus"] = Coded("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            ["category"] = new JsonArray(Coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")),
            ["code"] = new JsonObject { ["text"] = input.Text.Trim() },
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["recordedDate"] = Instant(clock.GetUtcNow()),
            ["recorder"] = author,
        };
        return await CreateAsync(caller.TenantId, "Condition", condition, audit, ct);
    }

    /// <summary>Adds an AllergyIntolerance recorded by the doctor.</summary>
    public async Task<ClinicalResult> AddAllergyAsync(CallerContext caller, string patientId, AllergyInput input, BeforeCommit? audit, CancellationToken ct)
    {
        if (Check(input.Text, MaxTitleLength, "allergy", "Allergy.Text") is { } invalid) return invalid;
        var criticality = string.IsNullOrEmpty(input.Criticality) ? null : input.Criticality;
        if (criticality is not null && !Criticalities.Contains(criticality)) return ClinicalResult.Refused("Choose the criticality from the list.", 400, "Allergy.Criticality");
        var (author, refusal) = await WriterAsync(caller, patientId, "AllergyIntolerance", ct);
        if (refusal is not null) return refusal;
        var allergy = new JsonObject
        {
            ["resourceType"] = "AllergyIntolerance",
            ["clinicalStatus"] = Coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
            ["verificationStatus"] = Coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
            ["code"] = new JsonObject { ["text"] = input.Text.Trim() },
            ["patient"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["recordedDate"] = Instant(clock.GetUtcNow()),
            ["recorder"] = author,
        };
        if (criticality is not null) allergy["criticality"] = criticality;
        return await CreateAsync(caller.TenantId, "AllergyIntolerance", allergy, audit, ct);
    }

    /// <summary>Prescribes: an active MedicationRequest (intent order) requested by the doctor.</summary>
    public async Task<ClinicalResult> PrescribeAsync(CallerContext caller, string patientId, PrescriptionInput input, BeforeCommit? audit, CancellationToken ct)
    {
        if (Check(input.Medication, MaxTitleLength, "medicine", "Prescription.Medication") is { } invalid) return invalid;
        if (Check(input.Dosage, MaxDosageLength, "dosage", "Prescription.Dosage") is { } badDosage) return badDosage;
        var rxNorm = string.IsNullOrWhiteSpace(input.RxNorm) ? null : input.RxNorm.Trim();
        // RxNorm concept ids (RXCUI) are decimal numbers.
        if (rxNorm is not null && (rxNorm.Length > 10 || !rxNorm.All(char.IsAsciiDigit)))
            return ClinicalResult.Refused("An RxNorm code is a number of up to 10 digits, e.g. 197361. Leave it empty if you do not know it.", 400, "Prescription.RxNorm");
        var (author, refusal) = await WriterAsync(caller, patientId, "MedicationRequest", ct);
        if (refusal is not null) return refusal;
        var encounter = await EncounterAsync(caller.TenantId, patientId, input.EncounterId, "Prescription.EncounterId", ct);
        if (encounter.Refusal is not null) return encounter.Refusal;
        var medication = new JsonObject { ["text"] = input.Medication.Trim() };
        if (rxNorm is not null) medication["coding"] = new JsonArray(new JsonObject { ["system"] = RxNormSystem, ["code"] = rxNorm });
        var request = new JsonObject
        {
            ["resourceType"] = "MedicationRequest",
            ["status"] = "active",
            ["intent"] = "order",
            ["medicationCodeableConcept"] = medication,
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["authoredOn"] = Instant(clock.GetUtcNow()),
            ["requester"] = author,
            ["dosageInstruction"] = new JsonArray(new JsonObject { ["text"] = input.Dosage.Trim() }),
        };
        if (encounter.Reference is { } visit) request["encounter"] = new JsonObject { ["reference"] = visit };
        return await CreateAsync(caller.TenantId, "MedicationRequest", request, audit, ct);
    }

    /// <summary>Stops one of the doctor's own active prescriptions: a new version with status stopped.</summary>
    public Task<ClinicalResult> StopAsync(CallerContext caller, string patientId, string id, long version, BeforeCommit? audit, CancellationToken ct) =>
        ChangeOwnAsync(caller, patientId, "MedicationRequest", id, version, "Prescription.Stop", body =>
        {
            if ((string?)body["status"] != "active") return ClinicalResult.Refused("Only an active prescription can be stopped.", 409, "Prescription.Stop");
            body["status"] = "stopped";
            return null;
        }, audit, ct);

    /// <summary>Changes one of the doctor's own notes, conditions or allergies, at the version they read.</summary>
    public Task<ClinicalResult> EditAsync(CallerContext caller, string patientId, EntryEdit edit, BeforeCommit? audit, CancellationToken ct)
    {
        const string field = "Edit.Text";
        switch (edit.Kind)
        {
            case EntryKind.Note:
                if (Check(edit.Text, MaxNoteLength, "note", field) is { } badNote) return Task.FromResult(badNote);
                return ChangeOwnAsync(caller, patientId, "DocumentReference", edit.Id, edit.Version, field, body =>
                {
                    // FHIR R4 composition-status: a final document changed afterwards is "amended".
                    body["docStatus"] = "amended";
                    body["content"] = new JsonArray(new JsonObject { ["attachment"] = Attachment(edit.Text, clock.GetUtcNow()) });
                    return null;
                }, audit, ct);
            case EntryKind.Condition:
                if (Check(edit.Text, MaxTitleLength, "condition", field) is { } badCondition) return Task.FromResult(badCondition);
                if (!ConditionStatuses.Contains(edit.Status ?? "")) return Task.FromResult(ClinicalResult.Refused("Choose the condition's status from the list.", 400, "Edit.Status"));
                return ChangeOwnAsync(caller, patientId, "Condition", edit.Id, edit.Version, field, body =>
                {
                    body["code"] = new JsonObject { ["text"] = edit.Text.Trim() };
                    body["clinicalStatus"] = Coded("http://terminology.hl7.org/CodeSystem/condition-clinical", edit.Status!);
                    return null;
                }, audit, ct);
            case EntryKind.Allergy:
                if (Check(edit.Text, MaxTitleLength, "allergy", field) is { } badAllergy) return Task.FromResult(badAllergy);
                if (!AllergyStatuses.Contains(edit.Status ?? "")) return Task.FromResult(ClinicalResult.Refused("Choose the allergy's status from the list.", 400, "Edit.Status"));
                return ChangeOwnAsync(caller, patientId, "AllergyIntolerance", edit.Id, edit.Version, field, body =>
                {
                    body["code"] = new JsonObject { ["text"] = edit.Text.Trim() };
                    body["clinicalStatus"] = Coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", edit.Status!);
                    return null;
                }, audit, ct);
            default:
                return Task.FromResult(ClinicalResult.Refused("That change was not understood.", 400, field));
        }
    }

    /// <summary>
    /// The one path of every change: the entry must be this patient's, the access policy must allow the caller to
    /// update it (only its author may), and the write names the version the doctor read, so a concurrent change wins
    /// and this one is refused whole.
    /// </summary>
    async Task<ClinicalResult> ChangeOwnAsync(CallerContext caller, string patientId, string type, string id, long version, string field,
        Func<JsonObject, ClinicalResult?> change, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Kind: "user", Role: Roles.Doctor, PractitionerId: { } practitionerId })
            return ClinicalResult.Refused("Your account is not linked to a practitioner record, so you cannot change entries.", 403, field);
        var notFound = ClinicalResult.Refused("That entry was not found in this chart.", 404, field);
        if (id.Length is 0 or > 64) return notFound;
        var read = await store.ReadAsync(caller.TenantId, type, id, ct);
        if (read.Value is not { } stored) return notFound;
        var root = Parse(stored.Body);
        if (!References(root, type == "AllergyIntolerance" ? "patient" : "subject", "Patient/" + patientId)) return notFound;
        var ownership = new Ownership { AuthoredByCaller = authorship.AuthoredBy(type, root, practitionerId) };
        if (AccessPolicy.Clinical(caller, caller.TenantId, type, ClinicalAction.Update, ownership) != Access.Allowed)
        {
            var author = AuthorDisplay(root, AuthorProperty(type));
            return ClinicalResult.Refused($"You can only change entries you wrote. This one was written by {author ?? "another clinician"}; nothing was changed.", 403, field);
        }
        var stale = ClinicalResult.Refused("This entry changed after you opened the chart. Nothing was saved: check the entry as it is now and try again.", 409, field);
        if (stored.VersionId != version) return stale;
        var body = JsonNode.Parse(stored.Body)!.AsObject();
        if (change(body) is { } refused) return refused;
        var written = await store.UpdateAsync(caller.TenantId, type, id, Json(body), version, ct, audit);
        if (written.Error is { Kind: RecordErrorKind.PreconditionFailed }) return stale;
        return written.IsSuccess ? ClinicalResult.Done : throw new InvalidOperationException($"Changing the {type} failed: {written.Error!.Message}");
    }

    async Task<ClinicalResult> CreateAsync(string tenantId, string type, JsonObject resource, BeforeCommit? audit, CancellationToken ct)
    {
        var created = await store.CreateAsync(tenantId, type, Json(resource), ct, audit);
        return created.IsSuccess ? ClinicalResult.Done : throw new InvalidOperationException($"Storing the {type} failed: {created.Error!.Message}");
    }

    /// <summary>The author reference for a new entry, after checking the caller may create it on an existing Patient.</summary>
    async Task<(JsonObject? Author, ClinicalResult? Refusal)> WriterAsync(CallerContext caller, string patientId, string type, CancellationToken ct)
    {
        if (caller is not { Kind: "user", Role: Roles.Doctor, PractitionerId: { } practitionerId })
            return (null, ClinicalResult.Refused("Your account is not linked to a practitioner record, so you cannot write in charts yet.", 403));
        if (AccessPolicy.Clinical(caller, caller.TenantId, type, ClinicalAction.Create, Unowned) != Access.Allowed)
            return (null, ClinicalResult.Refused("You may not write this kind of entry.", 403));
        if ((await store.ReadAsync(caller.TenantId, "Patient", patientId, ct)).Value is null) return (null, ClinicalResult.Refused("That patient was not found.", 404));
        var practitioner = await store.ReadAsync(caller.TenantId, "Practitioner", practitionerId, ct);
        var name = practitioner.Value is { } p ? NameOf(Parse(p.Body)) : null;
        var author = new JsonObject { ["reference"] = "Practitioner/" + practitionerId };
        if (name is not null) author["display"] = "Dr " + name;
        return (author, null);
    }

    /// <summary>The chosen visit as a reference, when it is one of this patient's Encounters.</summary>
    async Task<(string? Reference, ClinicalResult? Refusal)> EncounterAsync(string tenantId, string patientId, string? encounterId, string field, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(encounterId)) return (null, null);
        var refused = ClinicalResult.Refused("Choose one of this patient's visits, or none.", 400, field);
        if (encounterId.Length > 64) return (null, refused);
        var read = await store.ReadAsync(tenantId, "Encounter", encounterId, ct);
        if (read.Value is not { } encounter || !References(Parse(encounter.Body), "subject", "Patient/" + patientId)) return (null, refused);
        return ("Encounter/" + encounterId, null);
    }

    /// <summary>Required, at most <paramref name="max"/> characters, no control characters but line breaks and tabs.</summary>
    static ClinicalResult? Check(string? text, int max, string what, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return ClinicalResult.Refused($"Enter the {what}.", 400, field);
        if (text.Length > max) return ClinicalResult.Refused($"The {what} is too long: at most {max.ToString("N0", CultureInfo.InvariantCulture)} characters.", 400, field);
        if (text.Any(c => char.IsControl(c) && c is not ('\r' or '\n' or '\t'))) return ClinicalResult.Refused($"The {what} contains characters that cannot be stored.", 400, field);
        return null;
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    static bool IsDoctor(CallerContext caller) => caller is { Kind: "user", Role: Roles.Doctor };

    async Task<List<StoredResource>> SearchAsync(CallerContext caller, string type, string patientId, KeyValuePair<string, string>[] criteria, CancellationToken ct,
        string patientParameter = "patient", bool ownCompartment = false)
    {
        var ownership = ownCompartment ? new Ownership { InCallersCompartment = true } : Unowned;
        if (AccessPolicy.Clinical(caller, caller.TenantId, type, ClinicalAction.Search, ownership) != Access.Allowed) return [];
        var parameters = new List<KeyValuePair<string, string>>(criteria)
        {
            new(patientParameter, "Patient/" + patientId),
            new("_count", "200"),
        };
        var parsed = parser.Parse(type, parameters, strict: true);
        if (parsed.Error is { } error) throw new InvalidOperationException($"The chart's {type} search is not valid: {error.Message}");
        var found = new List<StoredResource>();
        var query = parsed.Value!;
        while (true)
        {
            var page = await store.SearchAsync(caller.TenantId, query, ct);
            found.AddRange(page.Resources);
            if (page.NextAfter is null || found.Count >= MaxScanned) return found;
            query = query with { After = page.NextAfter };
        }
    }

    static ChartEntry Entry(StoredResource resource, Func<JsonElement, ChartEntry, ChartEntry> fill) =>
        fill(Parse(resource.Body), new ChartEntry { Id = resource.Id, Version = resource.VersionId, Title = "" });

    static List<ChartEntry> Newest(IEnumerable<ChartEntry> entries) => entries.OrderByDescending(e => e.When).Take(ListSize).ToList();

    static JsonElement Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    static JsonObject Coded(string system, string code) =>
        new() { ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = code }) };

    static JsonObject Attachment(string text, DateTimeOffset now) => new()
    {
        ["contentType"] = "text/plain; charset=utf-8",
        ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text.Trim())),
        ["creation"] = Instant(now),
    };

    static string AuthorProperty(string type) => type switch
    {
        "DocumentReference" => "author",
        "MedicationRequest" => "requester",
        _ => "recorder",
    };

    /// <summary>True when the property (a Reference, or a list of them) references <paramref name="reference"/>.</summary>
    static bool References(JsonElement root, string property, string reference)
    {
        if (!root.TryGetProperty(property, out var value)) return false;
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
                if (Text(item, "reference") == reference) return true;
            return false;
        }
        return Text(value, "reference") == reference;
    }

    static string? AuthorDisplay(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var value)) return null;
        var first = value.ValueKind == JsonValueKind.Array ? (value.GetArrayLength() > 0 ? value[0] : default) : value;
        return Text(first, "display");
    }

    static string? NoteText(JsonElement root)
    {
        if (!root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array || content.GetArrayLength() == 0) return null;
        if (!content[0].TryGetProperty("attachment", out var attachment) || Text(attachment, "data") is not { } data) return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(data));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    static string? DosageText(JsonElement root) =>
        root.TryGetProperty("dosageInstruction", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0 ? Text(list[0], "text") : null;

    static string? RxNormOf(JsonElement root)
    {
        if (!root.TryGetProperty("medicationCodeableConcept", out var concept) || !concept.TryGetProperty("coding", out var codings) || codings.ValueKind != JsonValueKind.Array) return null;
        foreach (var coding in codings.EnumerateArray())
            if (Text(coding, "system") == RxNormSystem) return Text(coding, "code");
        return null;
    }

    static string EncounterTitle(JsonElement e)
    {
        var title = e.TryGetProperty("type", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0 ? ConceptText(types[0]) : null;
        title ??= e.TryGetProperty("class", out var cls) ? Text(cls, "display") ?? Text(cls, "code") : null;
        return title ?? "Visit";
    }

    static bool IsActiveCheckInAlert(JsonElement flag)
    {
        if (Text(flag, "status") != "active" || !flag.TryGetProperty("identifier", out var identifiers) || identifiers.ValueKind != JsonValueKind.Array) return false;
        foreach (var identifier in identifiers.EnumerateArray())
            if (Text(identifier, "system") == CheckIns.CheckIns.AlertSystem) return true;
        return false;
    }

    static PatientSummary Summary(string id, JsonElement patient)
    {
        string? identifier = null;
        if (patient.TryGetProperty("identifier", out var identifiers) && identifiers.ValueKind == JsonValueKind.Array && identifiers.GetArrayLength() > 0)
            identifier = Text(identifiers[0], "value");
        return new PatientSummary(id, NameOf(patient) ?? "(no name recorded)", Text(patient, "birthDate"), Text(patient, "gender"), identifier);
    }

    static string? NameOf(JsonElement person)
    {
        if (!person.TryGetProperty("name", out var names) || names.ValueKind != JsonValueKind.Array || names.GetArrayLength() == 0) return null;
        var name = names[0];
        if (Text(name, "text") is { } text) return text;
        var given = name.TryGetProperty("given", out var g) && g.ValueKind == JsonValueKind.Array && g.GetArrayLength() > 0 && g[0].ValueKind == JsonValueKind.String ? g[0].GetString() : null;
        return Text(name, "family") is { } family ? (given is null ? family : given + " " + family) : given;
    }

    static string? Code(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var concept)) return null;
        if (concept.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
            foreach (var coding in codings.EnumerateArray())
                if (Text(coding, "code") is { } code) return code;
        return Text(concept, "text");
    }


}
