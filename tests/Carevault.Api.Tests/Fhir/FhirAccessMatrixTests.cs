using System.Globalization;
using System.Net;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Fhir;

/// <summary>
/// The authorization matrix end to end, through HTTP on both backends: every role × (read, search, create, update,
/// delete) × (in the patient's compartment or not, authored by the calling doctor or not) × (same tenant, other tenant),
/// asserting the exact status and, for searches, exactly which resources come back (docs/decisions/0008-fhir-access.md).
/// Each caller works on its own fresh targets, so updates and deletes never change another row's outcome.
/// </summary>
public sealed class FhirAccessMatrixTests(FhirServers servers) : IClassFixture<FhirServers>
{
    static readonly string[] Callers = ["patient1", "doctor1", "doctor2", "staff", "auditor", "admin", "hospital"];

    // Targets: A = P1's, by D1 · B = P2's, by D1 · C = P1's, by D2 · D = P2's, by D2 · E = another tenant's.
    // An update of an id the tenant does not have is 405 for everyone (ids are server-assigned: no update-as-create).
    static readonly Dictionary<string, string> ExpectedObservations = new(StringComparer.Ordinal)
    {
        ["patient1"] = "read A=200 B=404 C=200 D=404 E=404 | search A,C | create 403 | update A=403 B=403 C=403 D=403 E=403 | delete A=403 B=403 C=403 D=403 E=403",
        ["doctor1"] = "read A=200 B=200 C=200 D=200 E=404 | search A,B,C,D | create 201 | update A=200 B=200 C=403 D=403 E=405 | delete A=204 B=204 C=403 D=403 E=404",
        ["doctor2"] = "read A=200 B=200 C=200 D=200 E=404 | search A,B,C,D | create 201 | update A=403 B=403 C=200 D=200 E=405 | delete A=403 B=403 C=204 D=204 E=404",
        ["staff"] = "read A=403 B=403 C=403 D=403 E=403 | search 403 | create 403 | update A=403 B=403 C=403 D=403 E=403 | delete A=403 B=403 C=403 D=403 E=403",
        ["auditor"] = "read A=403 B=403 C=403 D=403 E=403 | search 403 | create 403 | update A=403 B=403 C=403 D=403 E=403 | delete A=403 B=403 C=403 D=403 E=403",
        ["admin"] = "read A=403 B=403 C=403 D=403 E=403 | search 403 | create 403 | update A=403 B=403 C=403 D=403 E=403 | delete A=403 B=403 C=403 D=403 E=403",
        ["hospital"] = "read A=200 B=200 C=200 D=200 E=404 | search A,B,C,D | create 201 | update A=200 B=200 C=200 D=200 E=405 | delete A=204 B=204 C=204 D=204 E=404",
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Observations_EveryRoleActionOwnershipAndTenant_AnswerExactly(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var world = await AccessWorld.CreateAsync(server);
        var otherTenant = await AccessWorld.CreateAsync(server);

        var actual = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var caller in Callers)
        {
            var token = caller == "hospital" ? world.HospitalToken : await world.TokenAsync(caller);
            var targets = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["A"] = await world.CreateAsync(AccessWorld.Observation(caller, world.P1, world.D1)),
                ["B"] = await world.CreateAsync(AccessWorld.Observation(caller, world.P2, world.D1)),
                ["C"] = await world.CreateAsync(AccessWorld.Observation(caller, world.P1, world.D2)),
                ["D"] = await world.CreateAsync(AccessWorld.Observation(caller, world.P2, world.D2)),
                ["E"] = await otherTenant.CreateAsync(AccessWorld.Observation(caller, otherTenant.P1, otherTenant.D1)),
            };
            var bodies = targets.ToDictionary(t => t.Key, t => t.Key switch
            {
                "A" => AccessWorld.Observation(caller, world.P1, world.D1, t.Value, "amended"),
                "B" => AccessWorld.Observation(caller, world.P2, world.D1, t.Value, "amended"),
                "C" => AccessWorld.Observation(caller, world.P1, world.D2, t.Value, "amended"),
                "D" => AccessWorld.Observation(caller, world.P2, world.D2, t.Value, "amended"),
                _ => AccessWorld.Observation(caller, otherTenant.P1, otherTenant.D1, t.Value, "amended"),
            });
            var row = await RowAsync(server, token, "Observation", targets, bodies, $"code=urn:test:round|{caller}", AccessWorld.Observation(caller + "-new", world.P1, world.D1));
            actual[caller] = row;
        }

        Assert.Equal(Table(ExpectedObservations), Table(actual));
    }

    // Appointments: staff manage them; a patient sees those they take part in; a doctor reads them but authored none.
    // F = P1's appointment, G = P2's.
    static readonly Dictionary<string, string> ExpectedAppointments = new(StringComparer.Ordinal)
    {
        ["patient1"] = "read F=200 G=404 | search F | create 403 | update F=403 G=403 | delete F=403 G=403",
        ["doctor1"] = "read F=200 G=200 | search F,G | create 201 | update F=403 G=403 | delete F=403 G=403",
        ["doctor2"] = "read F=200 G=200 | search F,G | create 201 | update F=403 G=403 | delete F=403 G=403",
        ["staff"] = "read F=200 G=200 | search F,G | create 201 | update F=200 G=200 | delete F=403 G=403",
        ["auditor"] = "read F=403 G=403 | search 403 | create 403 | update F=403 G=403 | delete F=403 G=403",
        ["admin"] = "read F=403 G=403 | search 403 | create 403 | update F=403 G=403 | delete F=403 G=403",
        ["hospital"] = "read F=200 G=200 | search F,G | create 201 | update F=200 G=200 | delete F=204 G=204",
    };

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Appointments_EveryRoleAction_AnswerExactly(DatabaseProvider provider)
    {
        var server = await servers.GetAsync(provider);
        var world = await AccessWorld.CreateAsync(server);

        var actual = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var caller in Callers)
        {
            var token = caller == "hospital" ? world.HospitalToken : await world.TokenAsync(caller);
            var targets = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["F"] = await world.CreateAsync(Appointment(world.P1)),
                ["G"] = await world.CreateAsync(Appointment(world.P2)),
            };
            var bodies = targets.ToDictionary(t => t.Key, t => Appointment(t.Key == "F" ? world.P1 : world.P2, t.Value, "arrived"));
            actual[caller] = await RowAsync(server, token, "Appointment", targets, bodies, "_id=" + string.Join(',', targets.Values), Appointment(world.P1));
        }

        Assert.Equal(Table(ExpectedAppointments), Table(actual));
    }

    static string Appointment(string patient, string? id = null, string status = "booked") =>
        $$"""{"resourceType":"Appointment",{{(id is null ? "" : $"\"id\":\"{id}\",")}}"status":"{{status}}","participant":[{"actor":{"reference":"Patient/{{patient}}"},"status":"accepted"}]}""";

    /// <summary>One caller's row: read each target, search, create, update each, delete each (in that order).</summary>
    static async Task<string> RowAsync(FhirServer server, string token, string type, Dictionary<string, string> targets, Dictionary<string, string> bodies, string search, string newBody)
    {
        var labels = targets.ToDictionary(t => t.Value, t => t.Key, StringComparer.Ordinal);
        var reads = new List<string>();
        foreach (var (label, id) in targets) reads.Add($"{label}={Code(await server.SendAsync(HttpMethod.Get, $"/fhir/{type}/{id}", token))}");

        var searched = await server.SendAsync(HttpMethod.Get, $"/fhir/{type}?{search}", token);
        var found = searched.StatusCode == HttpStatusCode.OK
            ? string.Join(',', (await AccessWorld.IdsAsync(searched)).Select(id => labels.GetValueOrDefault(id, "?" + id)).Order(StringComparer.Ordinal))
            : Code(searched);

        var created = Code(await server.SendAsync(HttpMethod.Post, $"/fhir/{type}", token, newBody));

        var updates = new List<string>();
        foreach (var (label, id) in targets) updates.Add($"{label}={Code(await server.SendAsync(HttpMethod.Put, $"/fhir/{type}/{id}", token, bodies[label]))}");
        var deletes = new List<string>();
        foreach (var (label, id) in targets) deletes.Add($"{label}={Code(await server.SendAsync(HttpMethod.Delete, $"/fhir/{type}/{id}", token))}");
        return $"read {string.Join(' ', reads)} | search {found} | create {created} | update {string.Join(' ', updates)} | delete {string.Join(' ', deletes)}";
    }

    static string Code(HttpResponseMessage response) => ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);

    static string Table(Dictionary<string, string> rows) => string.Join('\n', Callers.Select(c => $"{c}: {rows.GetValueOrDefault(c)}"));
}
