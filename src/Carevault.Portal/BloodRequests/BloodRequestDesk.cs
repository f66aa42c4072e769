using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Identity.Outbox;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Portal.Live;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.Extensions.Logging;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.BloodRequests;

/// <summary>
/// Emergency blood requests (issue 8 item 6; decision 0021). A request is a FHIR <c>CommunicationRequest</c> (status
/// active, priority from the urgency, category <see cref="CategorySystem"/>|<see cref="CategoryCode"/>, the group as
/// its reasonCode, the site as its sender, the units in an extension, the sentence in its payload). Broadcasting
/// stores it and, in the same transaction, queues an email to each eligible donor of the tenant — a patient whose
/// latest LOINC 882-1 Observation names a group that can give red cells to the requested one — then publishes a live
/// notice to the tenant's open dashboards. A donor answers with a <c>Communication</c> basedOn the request (sender:
/// their Patient); staff close the request (status completed), which is published too.
/// Who may do what is decided here: staff, administrators and doctors broadcast, see responses and close; a patient
/// records only their own blood group and answers only for their own Patient, and only with a compatible group.
/// </summary>
public sealed partial class BloodRequestDesk(ResourceStore store, SearchQueryParser parser, UserStore users, EmailOutbox outbox, IBroadcastBus bus,
    TimeProvider clock, ILogger<BloodRequestDesk> logger)
{
    public const string CategorySystem = "urn:carevault:communication-category";
    public const string CategoryCode = "blood-request";
    public const string UnitsExtension = "urn:carevault:fhir:extension:blood-request-units";

    /// <summary>The outbox kind of a donor's email, and the live notice's event name.</summary>
    public const string Kind = "blood-request";

    public const int MaxUnits = 50;
    public const int MaxSiteLength = 120;

    /// <summary>Donors emailed per request at most (the tenant's first by account); the request is on every dashboard regardless.</summary>
    public const int MaxDonorsEmailed = 1000;

    const int MaxListed = 200;

    public static bool MayManage(CallerContext caller) => caller is { Kind: "user", Role: Roles.Staff or Roles.Admin or Roles.Doctor };

    // ---- Staff ------------------------------------------------------------------------------------------------------

    /// <summary>The tenant's Organizations, to pick the requesting hospital from (id, name).</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> SitesAsync(CallerContext caller, CancellationToken ct)
    {
        if (!MayManage(caller)) return [];
        var sites = new List<(string, string)>();
        foreach (var resource in await SearchAsync(caller.TenantId, "Organization", [], ct))
        {
            using var document = JsonDocument.Parse(resource.Body);
            if (Text(document.RootElement, "name") is { Length: > 0 } name) sites.Add((resource.Id, name));
        }
        return sites.OrderBy(s => s.Item2, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<DeskResult> BroadcastAsync(CallerContext caller, NewBloodRequest request, BeforeCommit? audit, CancellationToken ct)
    {
        if (!MayManage(caller)) return DeskResult.Refused("Only staff, doctors and administrators can send blood requests.", 403);
        if (request.Units is < 1 or > MaxUnits) return DeskResult.Refused($"Ask for 1 to {MaxUnits} units.", 400);
        JsonObject sender;
        if (request.OrganizationId is { Length: > 0 } organizationId)
        {
            var organization = (await SitesAsync(caller, ct)).FirstOrDefault(s => s.Id == organizationId);
            if (organization.Id is null) return DeskResult.Refused("Choose one of the listed hospitals, or type the site.", 400);
            sender = new JsonObject { ["reference"] = "Organization/" + organization.Id, ["display"] = organization.Name };
        }
        else if (request.Site?.Trim() is { Length: > 0 and <= MaxSiteLength } site && !site.AsSpan().ContainsAny('\r', '\n'))
        {
            sender = new JsonObject { ["display"] = site };
        }
        else
        {
            return DeskResult.Refused($"Choose the hospital, or type the site (at most {MaxSiteLength} characters).", 400);
        }

        var now = clock.GetUtcNow();
        var id = store.NewId();
        var view = new BloodRequestView(id, request.Group, request.Units, (string)sender["display"]!, request.Urgency, now, true);
        var body = new JsonObject
        {
            ["resourceType"] = "CommunicationRequest",
            ["status"] = "active",
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = CategorySystem, ["code"] = CategoryCode, ["display"] = "Emergency blood request" }),
                ["text"] = "Blood request",
            }),
            ["priority"] = request.Urgency.Code,
            ["reasonCode"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = BloodGroups.SnomedSystem, ["code"] = request.Group.Snomed, ["display"] = request.Group.SnomedDisplay }),
                ["text"] = request.Group.Display,
            }),
            ["extension"] = new JsonArray(new JsonObject { ["url"] = UnitsExtension, ["valueInteger"] = request.Units }),
            ["payload"] = new JsonArray(new JsonObject { ["contentString"] = view.Summary + "." }),
            ["authoredOn"] = Instant(now),
            ["sender"] = sender,
            ["requester"] = caller.PractitionerId is { } practitionerId
                ? new JsonObject { ["reference"] = "Practitioner/" + practitionerId }
                : new JsonObject { ["display"] = "Carevault " + caller.Role },
        };
        var donors = await EligibleDonorsAsync(caller.TenantId, request.Group, ct);
        var result = await store.TransactionAsync(caller.TenantId, [new TransactionWrite("POST", "CommunicationRequest", id, Json(body), null)], ct,
            async (connection, transaction, written, token) =>
            {
                foreach (var donor in donors)
                {
                    // The email says only what the request says (sealed in the outbox anyway): no donor's blood group.
                    await outbox.EnqueueAsync(transaction, new OutgoingEmail
                    {
                        TenantId = caller.TenantId,
                        Kind = Kind,
                        Recipient = donor.Email!,
                        Subject = "Blood donors needed",
                        Body = $"{view.Summary}.\n"
                            + "You receive this because you are registered as a blood donor with Carevault. If you can donate, sign in to Carevault,\n"
                            + "open Blood requests and choose \"I can donate\". Thank you.",
                        UserId = donor.Id,
                        Topic = "CommunicationRequest/" + id,
                    }, token);
                }
                return audit is null ? null : await audit(connection, transaction, written, token);
            });
        if (result.Error is { } error) throw new InvalidOperationException("Storing the blood request failed: " + error.Message);
        LogBroadcast(logger, id, donors.Count);
        await PublishAsync(caller.TenantId, "opened", view, ct);
        return DeskResult.Done(id);
    }

    /// <summary>The donors who answered a request, first first.</summary>
    public async Task<IReadOnlyList<DonorResponse>> ResponsesAsync(CallerContext caller, string requestId, CancellationToken ct)
    {
        if (!MayManage(caller)) return [];
        var responses = new List<DonorResponse>();
        foreach (var resource in await SearchAsync(caller.TenantId, "Communication", [new("based-on", "CommunicationRequest/" + requestId)], ct))
        {
            using var document = JsonDocument.Parse(resource.Body);
            var root = document.RootElement;
            var donor = root.TryGetProperty("sender", out var s) ? Text(s, "display") : null;
            var group = root.TryGetProperty("reasonCode", out var reasons) && reasons.ValueKind == JsonValueKind.Array && reasons.GetArrayLength() > 0 ? SnomedOf(reasons[0]) : null;
            responses.Add(new DonorResponse(donor ?? "A donor", group, Time(root, "sent") ?? DateTimeOffset.MinValue));
        }
        return responses.OrderBy(r => r.When).ToList();
    }

    /// <summary>
    /// Closes an open request (status completed); it leaves every dashboard, and the donor emails not yet sent are
    /// withdrawn with it (one already claimed by the sender may still go out).
    /// </summary>
    public async Task<DeskResult> CloseAsync(CallerContext caller, string requestId, BeforeCommit? audit, CancellationToken ct)
    {
        if (!MayManage(caller)) return DeskResult.Refused("Only staff, doctors and administrators can close blood requests.", 403);
        var (request, view) = await ReadRequestAsync(caller.TenantId, requestId, ct);
        if (request is null || view is null) return DeskResult.Refused("That blood request was not found.", 404);
        if (!view.Open) return DeskResult.Refused("That blood request is already closed.", 409);
        var body = JsonNode.Parse(request.Body)!.AsObject();
        body["status"] = "completed";
        var result = await store.TransactionAsync(caller.TenantId, [new TransactionWrite("PUT", "CommunicationRequest", request.Id, Json(body), request.VersionId)], ct,
            async (connection, transaction, written, token) =>
            {
                await EmailOutbox.WithdrawAsync(transaction, caller.TenantId, Kind, "CommunicationRequest/" + request.Id, token);
                return audit is null ? null : await audit(connection, transaction, written, token);
            });
        if (result.Error is { Kind: RecordErrorKind.PreconditionFailed }) return DeskResult.Refused("The request changed while you were looking at it. Please check it and try again.", 409);
        if (result.Error is { } error) throw new InvalidOperationException("Closing the blood request failed: " + error.Message);
        await PublishAsync(caller.TenantId, "closed", view with { Open = false }, ct);
        return DeskResult.Done(request.Id);
    }

    // ---- Everyone ---------------------------------------------------------------------------------------------------

    /// <summary>The tenant's open blood requests, newest first.</summary>
    public async Task<IReadOnlyList<BloodRequestView>> OpenAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Kind: "user" }) return [];
        var views = new List<BloodRequestView>();
        foreach (var resource in await SearchAsync(caller.TenantId, "CommunicationRequest", [new("category", CategorySystem + "|" + CategoryCode), new("status", "active")], ct))
            if (View(resource) is { Open: true } view) views.Add(view);
        return views.OrderByDescending(v => v.Opened).ToList();
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------------

    sealed record LiveNotice(string Action, string Id, string Text, string Urgency);

    async Task PublishAsync(string tenantId, string action, BloodRequestView view, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(new LiveNotice(action, view.Id, view.Summary, view.Urgency.Code), LiveJson);
        try
        {
            await bus.PublishAsync(new BroadcastMessage(tenantId, Kind, data), ct);
        }
        catch (DbException e)
        {
            // The request is stored; open dashboards miss the live notice and show it at their next load.
            LogPublishFailed(logger, view.Id, e.GetType().Name);
        }
    }

    static readonly JsonSerializerOptions LiveJson = new(JsonSerializerDefaults.Web);

    static BloodGroup? SnomedOf(JsonElement concept)
    {
        if (!concept.TryGetProperty("coding", out var codings) || codings.ValueKind != JsonValueKind.Array) return null;
        foreach (var coding in codings.EnumerateArray())
            if (Text(coding, "system") == BloodGroups.SnomedSystem && BloodGroups.BySnomed(Text(coding, "code")) is { } group) return group;
        return null;
    }

    /// <summary>The request when it is one of this tenant's blood requests (any other CommunicationRequest is "not found").</summary>
    async Task<(StoredResource? Resource, BloodRequestView? View)> ReadRequestAsync(string tenantId, string requestId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(requestId) || requestId.Length > 64) return (null, null);
        var read = await store.ReadAsync(tenantId, "CommunicationRequest", requestId, ct);
        return read.Value is { Deleted: false } resource && View(resource) is { } view ? (resource, view) : (null, null);
    }

    static BloodRequestView? View(StoredResource resource)
    {
        using var document = JsonDocument.Parse(resource.Body);
        var root = document.RootElement;
        if (!IsBloodRequest(root)) return null;
        var group = root.TryGetProperty("reasonCode", out var reasons) && reasons.ValueKind == JsonValueKind.Array && reasons.GetArrayLength() > 0 ? SnomedOf(reasons[0]) : null;
        var units = 0;
        if (root.TryGetProperty("extension", out var extensions) && extensions.ValueKind == JsonValueKind.Array)
            foreach (var extension in extensions.EnumerateArray())
                if (Text(extension, "url") == UnitsExtension && extension.TryGetProperty("valueInteger", out var v) && v.TryGetInt32(out var n)) units = n;
        var site = root.TryGetProperty("sender", out var sender) ? Text(sender, "display") : null;
        if (group is null || units < 1 || site is null) return null;
        return new BloodRequestView(resource.Id, group, units, site, Urgency.ByCode(Text(root, "priority")) ?? Urgency.All[^1],
            Time(root, "authoredOn") ?? DateTimeOffset.FromUnixTimeMilliseconds(resource.LastUpdated), Text(root, "status") == "active");
    }

    static bool IsBloodRequest(JsonElement resource)
    {
        if (!resource.TryGetProperty("category", out var categories) || categories.ValueKind != JsonValueKind.Array) return false;
        foreach (var category in categories.EnumerateArray())
            if (category.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
                foreach (var coding in codings.EnumerateArray())
                    if (Text(coding, "system") == CategorySystem && Text(coding, "code") == CategoryCode) return true;
        return false;
    }

    async Task<string?> PatientNameAsync(string tenantId, string patientId, CancellationToken ct)
    {
        var read = await store.ReadAsync(tenantId, "Patient", patientId, ct);
        if (read.Value is not { } patient) return null;
        using var document = JsonDocument.Parse(patient.Body);
        return PersonName(document.RootElement);
    }

    async Task<IReadOnlyList<StoredResource>> SearchAsync(string tenantId, string type, KeyValuePair<string, string>[] criteria, CancellationToken ct, int count = MaxListed)
    {
        var page = await store.SearchAsync(tenantId, Query(type, criteria, count), ct);
        return page.Resources;
    }

    SearchQuery Query(string type, KeyValuePair<string, string>[] criteria, int count = MaxListed)
    {
        var parameters = new List<KeyValuePair<string, string>>(criteria) { new("_count", count.ToString(CultureInfo.InvariantCulture)) };
        var parsed = parser.Parse(type, parameters, strict: true);
        return parsed.Value ?? throw new InvalidOperationException($"The portal's {type} search is not valid: {parsed.Error!.Message}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Blood request {RequestId} broadcast; {DonorCount} donors emailed")]
    static partial void LogBroadcast(ILogger logger, string requestId, int donorCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The live notice for blood request {RequestId} was not published: {ExceptionType}")]
    static partial void LogPublishFailed(ILogger logger, string requestId, string exceptionType);
}
