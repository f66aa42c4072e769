using System.Globalization;
using System.Text.Json;
using Carevault.Fhir;
using Carevault.Fhir.Spec;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authorization;
using Carevault.Identity.Tenants;
using Carevault.Records.Access;
using Carevault.Records.Export;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http.Operations;

/// <summary>
/// Bulk Data Access IG v2 (export.html) kick-off: <c>GET [base]/$export</c>, <c>GET [base]/Patient/$export</c> (the
/// compartments of every Patient) and <c>GET [base]/Group/[id]/$export</c> (those of the Group's <c>member.entity</c>
/// Patients), with <c>Prefer: respond-async</c>. Parameters: <c>_outputFormat</c> (NDJSON), <c>_type</c>, <c>_since</c>;
/// the IG's other parameters (<c>_typeFilter</c>, <c>_elements</c>, …) answer 400 unless <c>Prefer: handling=lenient</c>,
/// unknown ones are ignored unless <c>handling=strict</c>. The caller needs read and search on every exported type,
/// whatever the resource: callers whose access depends on the target (patients, per-author rules) get 403. The export
/// is a row (<see cref="ExportJobStore"/>) processed by <see cref="ExportWorker"/>; 202 names its status URL.
/// </summary>
internal static class ExportKickOff
{
    static readonly HashSet<string> OutputFormats = new(StringComparer.Ordinal) { "application/fhir+ndjson", "application/ndjson", "ndjson" };

    // Bulk Data IG v2 kick-off parameters this server does not implement: refusing beats exporting more than asked.
    static readonly HashSet<string> UnsupportedIgParameters = new(StringComparer.Ordinal)
        { "_typeFilter", "_elements", "includeAssociatedData", "patient", "_until", "organizeOutputBy", "allowPartialManifests" };

    public static void Map(IEndpointRouteBuilder group)
    {
        group.MapGet("/$export", (HttpContext http, ResourceStore store, FhirSpec spec, FhirAccess access, ExportJobStore jobs, ExportSignal signal, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(http, ExportLevel.System, null, store, spec, access, jobs, signal, clock, ct)).WithName("FhirExportSystem").Audited(AuditAction.Search);
        group.MapGet("/Patient/$export", (HttpContext http, ResourceStore store, FhirSpec spec, FhirAccess access, ExportJobStore jobs, ExportSignal signal, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(http, ExportLevel.Patient, null, store, spec, access, jobs, signal, clock, ct)).WithName("FhirExportPatient").Audited(AuditAction.Search);
        group.MapGet("/Group/{id}/$export", (HttpContext http, string id, ResourceStore store, FhirSpec spec, FhirAccess access, ExportJobStore jobs, ExportSignal signal, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(http, ExportLevel.Group, id, store, spec, access, jobs, signal, clock, ct)).WithName("FhirExportGroup").Audited(AuditAction.Search);
    }

    static async Task<IResult> HandleAsync(HttpContext http, string level, string? groupId, ResourceStore store, FhirSpec spec, FhirAccess access, ExportJobStore jobs,
        ExportSignal signal, TimeProvider clock, CancellationToken ct)
    {
        var parameters = http.Request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();
        AuditedReferences.Query(http, parameters);
        if (FhirRequest.FormatError(http) is { } formatError) return formatError;
        if (CallerContext.From(http.User) is not { } caller)
            return OperationOutcomes.Create(http, StatusCodes.Status401Unauthorized, "login", "A valid bearer token is required.");
        if (!PrefersAsync(http.Request))
            return Invalid(http, "$export is asynchronous: send Prefer: respond-async.");

        var handling = FhirRequest.Prefer(http.Request, "handling");
        var strict = string.Equals(handling, "strict", StringComparison.OrdinalIgnoreCase);
        var lenient = string.Equals(handling, "lenient", StringComparison.OrdinalIgnoreCase);
        List<string>? only = null;
        long? since = null;
        var ignored = new List<string>();
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "_outputFormat":
                    if (!OutputFormats.Contains(value)) return Invalid(http, "_outputFormat must be application/fhir+ndjson (or application/ndjson, ndjson).");
                    break;
                case "_type":
                    only ??= [];
                    foreach (var type in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!FhirRequest.IsSupportedType(spec, type))
                            return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "not-supported", "_type names a resource type this server does not store.");
                        if (!only.Contains(type)) only.Add(type);
                    }
                    break;
                case "_since":
                    if (since is not null || !TryParseInstant(value, out var instant)) return Invalid(http, "_since must be one FHIR instant, e.g. 2024-01-31T12:00:00Z.");
                    since = instant;
                    break;
                case "_format" or "_pretty":
                    break;
                default:
                    if ((UnsupportedIgParameters.Contains(name) && !lenient) || strict)
                        return OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "not-supported",
                            $"$export does not support the parameter {name} (Prefer: handling=lenient ignores it).");
                    if (!ignored.Contains(name)) ignored.Add(name);
                    break;
            }
        }

        var candidates = only ?? FhirRequest.SupportedTypes(spec).Where(t => FhirRequest.IsSupportedType(spec, t)).ToList();
        // Patient and Group exports hold the Patient compartment (Bulk Data IG export.html#endpoint---all-patients).
        if (level != ExportLevel.System) candidates = candidates.Where(t => PatientCompartment.ResourceTypes.Contains(t)).ToList();
        var types = new List<string>();
        foreach (var type in candidates)
        {
            var read = access.Decide(caller, type, ClinicalAction.Read);
            var search = access.Decide(caller, type, ClinicalAction.Search);
            var denied = read.Error ?? search.Error;
            if (denied is not null)
            {
                if (only is not null) return OperationOutcomes.From(http, denied);
                continue;
            }
            if (read.Value!.PerTarget || search.Value!.PerTarget) return TargetDependent(http);
            types.Add(type);
        }
        if (types.Count == 0 && only is null)
            return OperationOutcomes.Create(http, StatusCodes.Status403Forbidden, "forbidden", "This caller may export no resource type.");

        var patients = new List<string>();
        if (groupId is not null && await GroupMembersAsync(http, caller, groupId, store, access, patients, ct) is { } groupError) return groupError;

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var request = http.Request;
        var job = new ExportJob
        {
            Id = Guid.NewGuid().ToString("N"),
            TenantId = caller.TenantId,
            Requester = ExportJob.RequesterOf(caller),
            Level = level,
            GroupId = groupId,
            Types = string.Join(',', types),
            Since = since,
            RequestUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}",
            TransactionTime = now,
            Status = ExportJob.Pending,
            NextAttemptAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await jobs.InsertAsync(job, patients, ct);
        signal.Notify();

        var headers = new Dictionary<string, string> { ["Content-Location"] = $"{FhirRequest.BaseUrl(request)}/$export-status/{job.Id}" };
        var message = "The export was accepted; poll the Content-Location for its status."
            + (ignored.Count == 0 ? "" : " Ignored unsupported parameters: " + string.Join(", ", ignored) + ".");
        return new FhirResult(StatusCodes.Status202Accepted, OperationOutcomes.Write(http.TraceIdentifier, ignored.Count == 0 ? "information" : "warning",
            ignored.Count == 0 ? "informational" : "not-supported", message, null), headers);
    }

    /// <summary>The Group's current Patient members (<c>member.entity</c>, not <c>inactive</c>); the caller must read the Group whatever it holds.</summary>
    static async Task<FhirResult?> GroupMembersAsync(HttpContext http, CallerContext caller, string id, ResourceStore store, FhirAccess access, List<string> patients, CancellationToken ct)
    {
        var permit = access.Decide(caller, "Group", ClinicalAction.Read);
        if (permit.Error is { } denied) return OperationOutcomes.From(http, denied);
        if (permit.Value!.PerTarget) return TargetDependent(http);
        if (!ResourceIds.IsValid(id)) return OperationOutcomes.From(http, RecordError.NotFound("Group", "(invalid id)"));
        var group = await store.ReadAsync(caller.TenantId, "Group", id, ct);
        if (group.Error is { } error) return OperationOutcomes.From(http, error);
        AuditedReferences.Add(http, "Group", id);
        using var document = JsonDocument.Parse(group.Value!.Body);
        if (!document.RootElement.TryGetProperty("member", out var members) || members.ValueKind != JsonValueKind.Array) return null;
        foreach (var member in members.EnumerateArray())
        {
            if (member.TryGetProperty("inactive", out var inactive) && inactive.ValueKind == JsonValueKind.True) continue;
            if (member.TryGetProperty("entity", out var entity) && entity.TryGetProperty("reference", out var reference) && reference.GetString() is { } text
                && FhirReference.TryParse(text, out var parsed) && parsed is { Kind: FhirReferenceKind.Relative, ResourceType: "Patient", Id: { } patient } && !patients.Contains(patient))
                patients.Add(patient);
        }
        return null;
    }

    static bool PrefersAsync(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
            foreach (var part in (header ?? "").Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (part.Equals("respond-async", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>A FHIR instant (FHIR R4 datatypes.html#instant): date, time to the second (fractions allowed) and zone. A '+' sent unencoded reads as a space.</summary>
    static bool TryParseInstant(string value, out long milliseconds)
    {
        milliseconds = 0;
        value = value.Replace(' ', '+');
        if (value.Length < 20 || value[10] != 'T' || !(value.EndsWith('Z') || value[^6] is '+' or '-')) return false;
        if (!DateTimeOffset.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            return false;
        milliseconds = instant.ToUnixTimeMilliseconds();
        return true;
    }

    static FhirResult Invalid(HttpContext http, string message) => OperationOutcomes.Create(http, StatusCodes.Status400BadRequest, "invalid", message);

    static FhirResult TargetDependent(HttpContext http) =>
        OperationOutcomes.Create(http, StatusCodes.Status403Forbidden, "forbidden", "Bulk export is not available to callers whose access depends on the resource.");
}
