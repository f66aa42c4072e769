using System.Text.Json;
using Carevault.Fhir;
using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Verdict = Carevault.Identity.Authorization.Access;

namespace Carevault.Records.Access;

/// <summary>
/// Decides every /fhir interaction with the one access policy (docs/decisions/0008-fhir-access.md), in two steps:
/// 1. before touching data, by type: the SMART scopes (a system client needs <c>system/</c>; a person needs a matching
///    <c>user/</c> scope, or a <c>patient/</c> scope when they have a patient context — which confines them to that
///    compartment) and <see cref="AccessPolicy.Clinical"/> evaluated with no and with full ownership: when both answer the
///    same, the target does not matter; otherwise the answer depends on it and the <see cref="FhirPermit"/> says so;
/// 2. per target, when it depends on it: the <see cref="OwnershipRules"/> read the resource and the policy decides again.
/// Searches that depend on the target are confined to the caller's compartment by the query itself.
/// </summary>
internal sealed class FhirAccess(OwnershipRules rules)
{
    /// <summary>The type-level decision: an error (403/404) or the permit that the later per-target checks use.</summary>
    public RecordResult<FhirPermit> Decide(CallerContext caller, string type, ClinicalAction action)
    {
        var permission = action.ToPermission();
        var confinedByScope = false;
        if (caller.Kind == "user")
        {
            var userScope = caller.Scopes.Allows(ScopeContext.User, type, permission);
            // SMART patient/ scopes speak for the token's patient context, which is the person's own linked Patient.
            var patientScope = caller.PatientId is not null && caller.Scopes.Allows(ScopeContext.Patient, type, permission);
            if (!userScope && !patientScope) return ScopeDenied(type, permission);
            confinedByScope = !userScope;
        }
        else if (!caller.Scopes.Allows(ScopeContext.System, type, permission))
        {
            return ScopeDenied(type, permission);
        }

        var withoutOwnership = AccessPolicy.Clinical(caller, caller.TenantId, type, action, Ownership.None);
        var withOwnership = AccessPolicy.Clinical(caller, caller.TenantId, type, action, new Ownership { InCallersCompartment = true, AuthoredByCaller = true });
        if (withOwnership != Verdict.Allowed) return Denied(withoutOwnership, type, null);
        if (withoutOwnership == Verdict.Allowed && !confinedByScope) return new FhirPermit(this, caller, type, action, PerTarget: false, CompartmentOf: null);

        string? compartment = null;
        if (action == ClinicalAction.Search)
        {
            var compartmentSuffices = AccessPolicy.Clinical(caller, caller.TenantId, type, action, new Ownership { InCallersCompartment = true }) == Verdict.Allowed;
            if (!compartmentSuffices && !confinedByScope)
                return new RecordError(RecordErrorKind.Forbidden, "forbidden", $"Searching {type} is not available to this caller.");
            // A person with no linked Patient has an empty compartment: "" matches no reference.
            compartment = caller.PatientId ?? "";
        }
        return new FhirPermit(this, caller, type, action, PerTarget: true, CompartmentOf: compartment) { ConfinedByScope = confinedByScope };
    }

    /// <summary>The per-target decision for a permit that depends on the target; null when allowed.</summary>
    internal RecordError? Check(FhirPermit permit, string? id, JsonElement resource)
    {
        var caller = permit.Caller;
        var ownership = new Ownership
        {
            InCallersCompartment = caller.PatientId is { } patient && rules.InPatientCompartment(permit.ResourceType, id, resource, patient),
            AuthoredByCaller = caller.PractitionerId is { } practitioner && rules.AuthoredBy(permit.ResourceType, resource, practitioner),
        };
        if (permit.ConfinedByScope && !ownership.InCallersCompartment) return RecordError.NotFound(permit.ResourceType, id ?? "(new)");
        var verdict = AccessPolicy.Clinical(caller, caller.TenantId, permit.ResourceType, permit.Action, ownership);
        return verdict == Verdict.Allowed ? null : Denied(verdict, permit.ResourceType, id);
    }

    /// <summary>The per-target decision on a request body (create, the new version of an update); unparseable JSON is left to the store's 400.</summary>
    internal RecordError? Check(FhirPermit permit, string? id, ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(FhirJson.SkipUtf8Bom(body), new JsonDocumentOptions { MaxDepth = 66 });
        }
        catch (JsonException)
        {
            return null;
        }
        using (document) return Check(permit, id, document.RootElement);
    }

    static RecordError ScopeDenied(string type, ScopePermissions permission) =>
        new(RecordErrorKind.Forbidden, "forbidden", $"The token's scopes do not allow {permission.ToString().ToLowerInvariant()} on {type}.");

    static RecordError Denied(Verdict verdict, string type, string? id) => verdict == Verdict.NotFound
        ? RecordError.NotFound(type, id ?? "(any)")
        : new RecordError(RecordErrorKind.Forbidden, "forbidden", id is null ? $"This caller may not do this on {type}." : $"This caller may not do this on {type}/{id}.");
}

/// <summary>
/// What the type-level decision allowed. When <see cref="PerTarget"/> is set, the answer depends on the target: every
/// resource read or written is checked (<see cref="Check(StoredResource)"/>), and searches are confined to
/// <see cref="CompartmentOf"/>'s compartment.
/// </summary>
internal sealed record FhirPermit(FhirAccess Decider, CallerContext Caller, string ResourceType, ClinicalAction Action, bool PerTarget, string? CompartmentOf)
{
    /// <summary>Only a <c>patient/</c> scope allowed the call: every target must be in the caller's compartment.</summary>
    public bool ConfinedByScope { get; init; }

    /// <summary>Null when the caller may do <see cref="Action"/> on this stored version; else the error (404 hides it, 403 does not).</summary>
    public RecordError? Check(StoredResource resource)
    {
        if (!PerTarget) return null;
        // A deletion has no body to tell who owns it: to a caller whose access depends on the target it does not exist.
        if (resource.Deleted) return RecordError.NotFound(ResourceType, resource.Id);
        using var document = JsonDocument.Parse(resource.Body);
        return Decider.Check(this, resource.Id, document.RootElement);
    }

    /// <summary>As <see cref="Check(StoredResource)"/>, for a request body (id null for a create).</summary>
    public RecordError? Check(string? id, ReadOnlyMemory<byte> body) => PerTarget ? Decider.Check(this, id, body) : null;

    /// <summary>The history entries this caller may see.</summary>
    public IReadOnlyList<HistoryEntry> Visible(IReadOnlyList<HistoryEntry> entries) =>
        PerTarget ? entries.Where(e => Check(e.Resource) is null).ToList() : entries;

    /// <summary>The same caller and type, for another interaction.</summary>
    public RecordResult<FhirPermit> For(ClinicalAction action) => Decider.Decide(Caller, ResourceType, action);

    /// <summary>A store error as this caller may see it: a deleted resource's owner is unknown, so it is 404 rather than 410.</summary>
    public RecordError Hide(RecordError error) =>
        PerTarget && error.Kind == RecordErrorKind.Gone ? new RecordError(RecordErrorKind.NotFound, "not-found", $"{ResourceType} is not known.") : error;

    /// <summary>
    /// Null when the caller may search every other type the query looks into (chains, <c>_has</c>) whatever the
    /// resource — else a 403: a criterion on a type they may not read would tell them about it.
    /// </summary>
    public RecordError? CheckReach(SearchQuery query) =>
        query.ReachedTypes().FirstOrDefault(t => Decider.Decide(Caller, t, ClinicalAction.Search).Value is not { PerTarget: false }) is { } unreadable
            ? new RecordError(RecordErrorKind.Forbidden, "forbidden", $"This caller may not search {unreadable}, which the search criteria look into.")
            : null;

    /// <summary>The search as this caller may run it: confined to their compartment when their access depends on the target.</summary>
    public SearchQuery Confine(SearchQuery query) =>
        CompartmentOf is null ? query : query with { PatientCompartments = [.. query.PatientCompartments, CompartmentOf] };

    /// <summary>
    /// Before an update or delete of <c>{ResourceType}/{id}</c>: checks the stored version (and the new body) and returns the
    /// If-Match to write with — the checked version, so a change in between is a 412 rather than a write the check never saw.
    /// Unknown ids go on to the store, which answers them as it always does.
    /// </summary>
    public Task<RecordResult<long?>> CheckWriteAsync(ResourceStore store, string id, ReadOnlyMemory<byte>? body, long? ifMatch, CancellationToken ct) =>
        CheckWriteAsync(store, id, _ => body, ifMatch, ct);

    /// <summary>
    /// As above, when the new body follows from the stored version (a patch): <paramref name="nextBody"/> gets the version
    /// read for the check, so it is read once; null when it cannot be made (the store then answers why).
    /// </summary>
    public async Task<RecordResult<long?>> CheckWriteAsync(ResourceStore store, string id, Func<StoredResource, ReadOnlyMemory<byte>?> nextBody, long? ifMatch, CancellationToken ct)
    {
        if (!PerTarget) return ifMatch;
        var current = await store.ReadAsync(Caller.TenantId, ResourceType, id, ct);
        if (current.Error is { Kind: RecordErrorKind.NotFound }) return ifMatch;
        if (current.Error is { } error) return Hide(error);
        if (Check(current.Value!) is { } denied) return denied;
        if (nextBody(current.Value!) is { } newBody && Check(id, newBody) is { } bodyDenied) return bodyDenied;
        long? version = ifMatch ?? current.Value!.VersionId;
        return version;
    }
}

/// <summary>
/// Endpoint metadata: this /fhir operation runs the per-target checks of its <see cref="FhirPermit"/> (Check, CheckWriteAsync,
/// Confine, Visible). Operations without it are refused (403) to callers whose access depends on the target, so a new
/// operation fails closed until it is wired (see <c>FhirRequest.Check</c>).
/// </summary>
internal sealed class ChecksEachTarget
{
    public static readonly ChecksEachTarget Instance = new();
}
