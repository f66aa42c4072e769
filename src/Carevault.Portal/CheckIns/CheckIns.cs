using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.CheckIns;

/// <summary>One completed check-in as its patient sees it in their history.</summary>
public sealed record CheckInResult(string Instrument, DateTimeOffset When, int Score, string Band);

/// <summary>A check-in alert as a doctor sees it: whose, when, and why.</summary>
public sealed record CheckInAlert(string PatientId, string Patient, DateTimeOffset When, string Reason);

/// <summary>What a submitted check-in came to; <see cref="Crisis"/> when PHQ-9 item 9 was answered above "Not at all".</summary>
public sealed record CheckInOutcome(Instrument Instrument, int Score, Band Band, bool Crisis);

/// <summary>
/// Mental-health check-ins (issue 8 item 5): the tenant's PHQ-9 and GAD-7 Questionnaires (created on first use by a
/// conditional create on their url), each submission a QuestionnaireResponse with its total score; a positive answer
/// to PHQ-9 item 9 also stores an active <c>Flag</c> on the patient, in the same transaction, which doctors see as an
/// alert. A patient submits only for their own Patient (the session's <c>fhirUser</c>).
/// </summary>
public sealed class CheckIns(ResourceStore store, SearchQueryParser parser, TimeProvider clock)
{
    /// <summary>The identifier system of the alert Flags this raises (value: the QuestionnaireResponse id).</summary>
    public const string AlertSystem = "urn:carevault:check-in-alert";

    const int MaxListed = 200;

    public async Task<CheckInOutcome> SubmitAsync(CallerContext caller, Instrument instrument, IReadOnlyList<int> answers, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId }) throw new InvalidOperationException("Only a linked patient submits a check-in.");
        var score = instrument.Score(answers);
        var band = instrument.BandOf(score);
        var crisis = instrument == Instrument.Phq9 && answers[8] > 0;
        var now = clock.GetUtcNow();
        var items = new JsonArray();
        for (var i = 0; i < instrument.Questions.Count; i++)
        {
            var (code, display, _) = Instrument.Answers[answers[i]];
            items.Add(new JsonObject
            {
                ["linkId"] = instrument.Questions[i].Code,
                ["text"] = instrument.Questions[i].Text,
                ["answer"] = new JsonArray(new JsonObject { ["valueCoding"] = new JsonObject { ["system"] = "http://loinc.org", ["code"] = code, ["display"] = display } }),
            });
        }
        items.Add(new JsonObject { ["linkId"] = instrument.TotalCode, ["text"] = "Total score", ["answer"] = new JsonArray(new JsonObject { ["valueInteger"] = score }) });
        var responseId = store.NewId();
        var questionnaire = instrument.ToQuestionnaire();
        var writes = new List<TransactionWrite>
        {
            // The tenant's Questionnaire: created by the first check-in, matched (not duplicated) by every later one.
            new("POST", "Questionnaire", store.NewId(), Json(questionnaire), null) { IfNoneExist = Query("Questionnaire", [new("url", instrument.Url)]) },
            new("POST", "QuestionnaireResponse", responseId, Json(new JsonObject
            {
                ["resourceType"] = "QuestionnaireResponse",
                ["questionnaire"] = instrument.Url,
                ["status"] = "completed",
                ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
                ["authored"] = Instant(now),
                ["source"] = new JsonObject { ["reference"] = "Patient/" + patientId },
                ["item"] = new JsonArray(new JsonObject { ["linkId"] = "questions", ["item"] = items }),
            }), null),
        };
        if (crisis)
        {
            writes.Add(new("POST", "Flag", store.NewId(), Json(new JsonObject
            {
                ["resourceType"] = "Flag",
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = AlertSystem, ["value"] = responseId }),
                ["status"] = "active",
                ["category"] = new JsonArray(new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/flag-category", ["code"] = "clinical", ["display"] = "Clinical" }),
                }),
                ["code"] = new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "44260-8" }),
                    ["text"] = "PHQ-9 item 9 positive (thoughts of being better off dead or of self-harm): contact the patient today",
                },
                ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
                ["period"] = new JsonObject { ["start"] = Instant(now) },
            }), null));
        }
        var result = await store.ExecuteAsync(caller.TenantId, writes, [], ct, audit);
        if (result.Error is { } error) throw new InvalidOperationException("Storing the check-in failed: " + error.Message);
        return new CheckInOutcome(instrument, score, band, crisis);
    }

    /// <summary>The patient's own check-ins, oldest first (for the chart; the page lists them newest first).</summary>
    public async Task<IReadOnlyList<CheckInResult>> HistoryAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId }) return [];
        var page = await store.SearchAsync(caller.TenantId, Query("QuestionnaireResponse", [new("subject", "Patient/" + patientId)]), ct);
        var results = new List<CheckInResult>();
        foreach (var resource in page.Resources)
        {
            using var document = JsonDocument.Parse(resource.Body);
            if (ResultOf(document.RootElement) is { } result) results.Add(result);
        }
        return results.OrderBy(r => r.When).ToList();
    }

    /// <summary>
    /// Active check-in alerts of the tenant's patients, newest first. Every doctor of the tenant sees them (there is no
    /// care-team assignment yet to narrow "the patient's clinician").
    /// </summary>
    public async Task<IReadOnlyList<CheckInAlert>> AlertsAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Doctor }) return [];
        var since = clock.GetUtcNow().AddDays(-30);
        var page = await store.SearchAsync(caller.TenantId, Query("Flag", [new("_lastUpdated", "ge" + Instant(since))]), ct);
        var alerts = new List<CheckInAlert>();
        foreach (var resource in page.Resources)
        {
            using var document = JsonDocument.Parse(resource.Body);
            var root = document.RootElement;
            if (Text(root, "status") != "active" || !IsCheckInAlert(root)) continue;
            var subject = root.TryGetProperty("subject", out var s) ? Text(s, "reference") : null;
            if (subject is not { Length: > 8 } || !subject.StartsWith("Patient/", StringComparison.Ordinal)) continue;
            var when = root.TryGetProperty("period", out var period) ? Time(period, "start") : null;
            var reason = root.TryGetProperty("code", out var code) ? Text(code, "text") : null;
            alerts.Add(new CheckInAlert(subject[8..], await PatientNameAsync(caller.TenantId, subject[8..], ct) ?? "A patient", when ?? DateTimeOffset.MinValue, reason ?? "Check-in alert"));
        }
        return alerts.OrderByDescending(a => a.When).ToList();
    }

    static bool IsCheckInAlert(JsonElement flag)
    {
        if (!flag.TryGetProperty("identifier", out var identifiers) || identifiers.ValueKind != JsonValueKind.Array) return false;
        foreach (var identifier in identifiers.EnumerateArray())
            if (Text(identifier, "system") == AlertSystem) return true;
        return false;
    }

    /// <summary>
    /// A stored QuestionnaireResponse read as a check-in: one of our instruments, when it was answered, and its total
    /// within the instrument's range. Null for any other response (the patient's record may hold others).
    /// </summary>
    public static CheckInResult? ResultOf(JsonElement response)
    {
        if (Instrument.All.FirstOrDefault(i => Text(response, "questionnaire") == i.Url) is not { } instrument || Time(response, "authored") is not { } when) return null;
        if (TotalOf(response, instrument.TotalCode) is not { } score || score < 0 || score > instrument.MaxScore) return null;
        return new CheckInResult(instrument.Title, when, score, instrument.BandOf(score).Name);
    }

    static int? TotalOf(JsonElement response, string totalCode)
    {
        if (!response.TryGetProperty("item", out var groups) || groups.ValueKind != JsonValueKind.Array) return null;
        foreach (var group in groups.EnumerateArray())
        {
            if (!group.TryGetProperty("item", out var items) || items.ValueKind != JsonValueKind.Array) continue;
            foreach (var item in items.EnumerateArray())
            {
                if (Text(item, "linkId") != totalCode || !item.TryGetProperty("answer", out var answers) || answers.ValueKind != JsonValueKind.Array || answers.GetArrayLength() == 0) continue;
                if (answers[0].TryGetProperty("valueInteger", out var value) && value.TryGetInt32(out var total)) return total;
            }
        }
        return null;
    }

    async Task<string?> PatientNameAsync(string tenantId, string patientId, CancellationToken ct)
    {
        var read = await store.ReadAsync(tenantId, "Patient", patientId, ct);
        if (read.Value is not { } patient) return null;
        using var document = JsonDocument.Parse(patient.Body);
        return PersonName(document.RootElement);
    }

    SearchQuery Query(string type, KeyValuePair<string, string>[] criteria)
    {
        var parameters = new List<KeyValuePair<string, string>>(criteria) { new("_count", MaxListed.ToString(CultureInfo.InvariantCulture)) };
        var parsed = parser.Parse(type, parameters, strict: true);
        return parsed.Value ?? throw new InvalidOperationException($"The portal's {type} search is not valid: {parsed.Error!.Message}");
    }

}
