using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.BloodRequests;

/// <summary>The donor's side: their own blood group (LOINC 882-1 Observations), their answers, and who is eligible.</summary>
public sealed partial class BloodRequestDesk
{
    // ---- Donors -----------------------------------------------------------------------------------------------------

    /// <summary>The patient's own recorded blood group (their latest LOINC 882-1 Observation), or null.</summary>
    public async Task<BloodGroup?> BloodGroupAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId }) return null;
        var latest = await SearchAsync(caller.TenantId, "Observation", [new("code", BloodGroups.LoincSystem + "|" + BloodGroups.AboRhCode), new("subject", "Patient/" + patientId)], ct);
        return LatestGroups(latest).TryGetValue(patientId, out var group) ? group : null;
    }

    /// <summary>Records the patient's blood group as a final Observation on their own Patient (a new one each time: the latest counts).</summary>
    public async Task<DeskResult> RecordBloodGroupAsync(CallerContext caller, BloodGroup group, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId })
            return DeskResult.Refused("Your account is not connected to your health record yet, so your blood group cannot be recorded.", 403);
        var now = clock.GetUtcNow();
        var observation = new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = "final",
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/observation-category", ["code"] = "laboratory", ["display"] = "Laboratory" }),
            }),
            ["code"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = BloodGroups.LoincSystem, ["code"] = BloodGroups.AboRhCode, ["display"] = BloodGroups.AboRhDisplay }),
                ["text"] = "Blood group",
            },
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientId },
            ["effectiveDateTime"] = Instant(now),
            ["issued"] = Instant(now),
            // Reported by the person themselves (a donor card, an earlier test), not measured here.
            ["performer"] = new JsonArray(new JsonObject { ["reference"] = "Patient/" + patientId }),
            ["valueCodeableConcept"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = BloodGroups.SnomedSystem, ["code"] = group.Snomed, ["display"] = group.SnomedDisplay }),
                ["text"] = group.Display,
            },
        };
        var result = await store.TransactionAsync(caller.TenantId, [new TransactionWrite("POST", "Observation", store.NewId(), Json(observation), null)], ct, audit);
        if (result.Error is { } error) throw new InvalidOperationException("Storing the blood group failed: " + error.Message);
        return DeskResult.Done(result.Value![0].Id);
    }

    /// <summary>The open requests this patient has already answered (request ids).</summary>
    public async Task<IReadOnlySet<string>> AnsweredAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId }) return new HashSet<string>();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in await SearchAsync(caller.TenantId, "Communication", [new("sender", "Patient/" + patientId), new("category", CategorySystem + "|" + CategoryCode)], ct))
        {
            using var document = JsonDocument.Parse(resource.Body);
            if (document.RootElement.TryGetProperty("basedOn", out var basedOn) && basedOn.ValueKind == JsonValueKind.Array)
                foreach (var reference in basedOn.EnumerateArray())
                    if (Text(reference, "reference") is { Length: > 21 } r && r.StartsWith("CommunicationRequest/", StringComparison.Ordinal)) answered.Add(r[21..]);
        }
        return answered;
    }

    /// <summary>
    /// "I can donate": a completed Communication basedOn the request, sender the patient's own Patient, carrying their
    /// group (which they share by answering). Only an open request, only with a recorded compatible group; answering
    /// twice stores one (conditional create).
    /// </summary>
    public async Task<DeskResult> RespondAsync(CallerContext caller, string requestId, BeforeCommit? audit, CancellationToken ct)
    {
        if (caller is not { Role: Roles.Patient, PatientId: { } patientId })
            return DeskResult.Refused("Your account is not connected to your health record yet, so you cannot answer.", 403);
        var (_, view) = await ReadRequestAsync(caller.TenantId, requestId, ct);
        if (view is not { Open: true }) return DeskResult.Refused("That blood request is closed or was not found.", 404);
        if (await BloodGroupAsync(caller, ct) is not { } group) return DeskResult.Refused("Record your blood group first, so the team knows you can help.", 409);
        if (!BloodGroups.CanDonateTo(group, view.Group))
            return DeskResult.Refused($"Thank you — but {group.Display} blood cannot be given to someone who needs {view.Group.Display}.", 409);
        var name = await PatientNameAsync(caller.TenantId, patientId, ct) ?? "A donor";
        var communication = new JsonObject
        {
            ["resourceType"] = "Communication",
            ["status"] = "completed",
            ["basedOn"] = new JsonArray(new JsonObject { ["reference"] = "CommunicationRequest/" + view.Id }),
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = CategorySystem, ["code"] = CategoryCode, ["display"] = "Emergency blood request" }),
            }),
            ["sent"] = Instant(clock.GetUtcNow()),
            ["sender"] = new JsonObject { ["reference"] = "Patient/" + patientId, ["display"] = name },
            ["reasonCode"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = BloodGroups.SnomedSystem, ["code"] = group.Snomed, ["display"] = group.SnomedDisplay }),
                ["text"] = group.Display,
            }),
            ["payload"] = new JsonArray(new JsonObject { ["contentString"] = "I can donate." }),
        };
        var write = new TransactionWrite("POST", "Communication", store.NewId(), Json(communication), null)
        {
            IfNoneExist = Query("Communication", [new("based-on", "CommunicationRequest/" + view.Id), new("sender", "Patient/" + patientId)]),
        };
        var result = await store.TransactionAsync(caller.TenantId, [write], ct, audit);
        if (result.Error is { } error) throw new InvalidOperationException("Storing the answer failed: " + error.Message);
        return DeskResult.Done(result.Value![0].Id);
    }

    /// <summary>Active patient accounts with an email address whose Patient's latest recorded group can give to <paramref name="recipient"/>.</summary>
    async Task<IReadOnlyList<User>> EligibleDonorsAsync(string tenantId, BloodGroup recipient, CancellationToken ct)
    {
        var groups = LatestGroups(await SearchAsync(tenantId, "Observation", [new("code", BloodGroups.LoincSystem + "|" + BloodGroups.AboRhCode)], ct, SearchQueryParser.MaxCount));
        if (groups.Count == 0) return [];
        var donors = new List<User>();
        foreach (var user in await users.ListAsync(tenantId, 100_000, ct))
        {
            if (user is not { Role: Roles.Patient, Status: "active", Email.Length: > 0, FhirUser: { Length: > 8 } fhirUser } || !fhirUser.StartsWith("Patient/", StringComparison.Ordinal)) continue;
            if (groups.TryGetValue(fhirUser[8..], out var group) && BloodGroups.CanDonateTo(group, recipient)) donors.Add(user);
            if (donors.Count == MaxDonorsEmailed) break;
        }
        return donors;
    }

    /// <summary>Each Patient's group from their latest final/amended/corrected 882-1 Observation.</summary>
    static Dictionary<string, BloodGroup> LatestGroups(IEnumerable<StoredResource> observations)
    {
        var latest = new Dictionary<string, (DateTimeOffset When, BloodGroup Group)>(StringComparer.Ordinal);
        foreach (var resource in observations)
        {
            using var document = JsonDocument.Parse(resource.Body);
            var root = document.RootElement;
            if (Text(root, "status") is not ("final" or "amended" or "corrected")) continue;
            var subject = root.TryGetProperty("subject", out var s) ? Text(s, "reference") : null;
            if (subject is not { Length: > 8 } || !subject.StartsWith("Patient/", StringComparison.Ordinal)) continue;
            if (!root.TryGetProperty("valueCodeableConcept", out var value) || SnomedOf(value) is not { } group) continue;
            var when = Time(root, "effectiveDateTime") ?? DateTimeOffset.FromUnixTimeMilliseconds(resource.LastUpdated);
            var patientId = subject[8..];
            if (!latest.TryGetValue(patientId, out var known) || when >= known.When) latest[patientId] = (when, group);
        }
        return latest.ToDictionary(p => p.Key, p => p.Value.Group, StringComparer.Ordinal);
    }
}
