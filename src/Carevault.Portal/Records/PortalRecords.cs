using System.Globalization;
using System.Text.Json;
using Carevault.Identity.Authorization;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.Records;

/// <summary>
/// Reads the portal's lists through <see cref="ResourceStore"/> searches confined to the caller's own compartment
/// (<c>patient=Patient/{linked id}</c>, the caller's <c>fhirUser</c>), each allowed by <see cref="AccessPolicy.Clinical"/> first. Bodies are turned
/// into display rows here so pages hold no FHIR JSON.
/// </summary>
public sealed class PortalRecords(ResourceStore store, SearchQueryParser parser) : IPortalRecords
{
    /// <summary>How many entries of each list a dashboard shows, newest first.</summary>
    public const int ListSize = 50;

    /// <summary>How many entries of one kind are read to find the newest (TODO: _sort in the record store).</summary>
    public const int MaxScanned = 1000;

    const int PageSize = 200;

    static readonly Ownership OwnCompartment = new() { InCallersCompartment = true };

    public async Task<MyRecord> GetMyRecordAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Kind: "user", Role: Roles.Patient, PatientId: { } patientId }) return MyRecord.NotLinked;
        return new MyRecord
        {
            Linked = true,
            PatientId = patientId,
            Conditions = (await SearchAsync(caller, "Condition", patientId, [], ct)).Select(ToCondition).OrderByDescending(e => e.When).Take(ListSize).ToList(),
            Allergies = (await SearchAsync(caller, "AllergyIntolerance", patientId, [], ct)).Select(ToAllergy).OrderByDescending(e => e.When).Take(ListSize).ToList(),
            Encounters = (await SearchAsync(caller, "Encounter", patientId, [], ct)).Select(ToEncounter).OrderByDescending(e => e.When).Take(ListSize).ToList(),
            LabResults = (await SearchAsync(caller, "Observation", patientId, [new("category", "laboratory")], ct)).Select(ToLabResult).OrderByDescending(e => e.When).Take(ListSize).ToList(),
        };
    }

    async Task<List<JsonElement>> SearchAsync(CallerContext caller, string type, string patientId, KeyValuePair<string, string>[] criteria, CancellationToken ct)
    {
        if (AccessPolicy.Clinical(caller, caller.TenantId, type, ClinicalAction.Search, OwnCompartment) != Access.Allowed) return [];
        var parameters = new List<KeyValuePair<string, string>>(criteria)
        {
            new("patient", "Patient/" + patientId),
            new("_count", PageSize.ToString(CultureInfo.InvariantCulture)),
        };
        var parsed = parser.Parse(type, parameters, strict: true);
        if (parsed.Error is { } error) throw new InvalidOperationException($"The portal's {type} search is not valid: {error.Message}");
        // Search pages come in id (creation) order and the store has no _sort yet: read up to MaxScanned entries and let
        // the caller keep the newest by their clinical date.
        var found = new List<JsonElement>();
        var query = parsed.Value!;
        while (true)
        {
            var page = await store.SearchAsync(caller.TenantId, query, ct);
            found.AddRange(page.Resources.Select(r => Parse(r.Body)));
            if (page.NextAfter is null || found.Count >= MaxScanned) return found;
            query = query with { After = page.NextAfter };
        }
    }

    static JsonElement Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    static RecordEntry ToCondition(JsonElement c) =>
        new(ConceptText(c, "code") ?? "Condition", ConceptText(c, "clinicalStatus"), Time(c, "onsetDateTime") ?? Time(c, "recordedDate"));

    static RecordEntry ToAllergy(JsonElement a) =>
        new(ConceptText(a, "code") ?? "Allergy", ConceptText(a, "clinicalStatus") ?? Text(a, "criticality"), Time(a, "recordedDate") ?? Time(a, "onsetDateTime"));

    static RecordEntry ToEncounter(JsonElement e)
    {
        var title = e.TryGetProperty("type", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
            ? ConceptText(types[0])
            : null;
        title ??= e.TryGetProperty("class", out var cls) ? Text(cls, "display") ?? Text(cls, "code") : null;
        var when = e.TryGetProperty("period", out var period) ? Time(period, "start") : null;
        return new RecordEntry(title ?? "Visit", Text(e, "status"), when);
    }

    internal static LabResult ToLabResult(JsonElement o)
    {
        decimal? value = null, low = null, high = null;
        string? unit = null;
        if (o.TryGetProperty("valueQuantity", out var quantity))
        {
            value = Number(quantity, "value");
            unit = Text(quantity, "unit") ?? Text(quantity, "code");
        }
        if (o.TryGetProperty("referenceRange", out var ranges) && ranges.ValueKind == JsonValueKind.Array && ranges.GetArrayLength() > 0)
        {
            var range = ranges[0];
            if (range.TryGetProperty("low", out var l)) low = Number(l, "value");
            if (range.TryGetProperty("high", out var h)) high = Number(h, "value");
        }
        // The lab's own flag wins (HL7 v3 ObservationInterpretation: N is normal); without one, the range decides.
        var flagged = InterpretationCode(o);
        var abnormal = flagged is not null ? flagged != "N" : value is { } v && ((low is { } lo && v < lo) || (high is { } hi && v > hi));
        return new LabResult
        {
            Test = ConceptText(o, "code") ?? "Result",
            Value = value,
            ValueText = value is null ? Text(o, "valueString") ?? ConceptText(o, "valueCodeableConcept") : null,
            Unit = unit,
            Low = low,
            High = high,
            When = Time(o, "effectiveDateTime") ?? Time(o, "issued"),
            Abnormal = abnormal,
        };
    }

    static string? InterpretationCode(JsonElement o)
    {
        if (!o.TryGetProperty("interpretation", out var list) || list.ValueKind != JsonValueKind.Array) return null;
        foreach (var concept in list.EnumerateArray())
        {
            if (!concept.TryGetProperty("coding", out var codings) || codings.ValueKind != JsonValueKind.Array) continue;
            foreach (var coding in codings.EnumerateArray())
                if (Text(coding, "code") is { } code) return code;
        }
        return null;
    }

    static decimal? Number(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) ? d : null;
}
