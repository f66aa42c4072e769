using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Audit;

public sealed class AuditEventFhirTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_ByEntity_ReturnsAuditEventsInASearchsetBundle(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        var id = await AuditSession.CreatePatientAsync(client, token, "Fhir");
        await client.SendAsync(Hospital.Get($"/fhir/Patient/{id}", token));
        await client.SendAsync(Hospital.Get("/fhir/Patient/0190a5a5a5a5a5a5a5a5a5a5a5a5a5a5", token)); // 404: a failure
        using var auditor = await s.AuditorAsync();

        var bundle = await auditor.GetFromJsonAsync<JsonElement>($"/fhir/AuditEvent?entity=Patient/{id}");
        var failures = await auditor.GetFromJsonAsync<JsonElement>($"/fhir/AuditEvent?outcome=8&agent={s.Hospital.ClientId}");
        var byType = await auditor.GetFromJsonAsync<JsonElement>("/fhir/AuditEvent?type=create&_count=1");

        Assert.Equal(("Bundle", "searchset"), (bundle.GetProperty("resourceType").GetString(), bundle.GetProperty("type").GetString()));
        var events = bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")).ToList();
        Assert.Equal(["read", "create"], events.Select(e => e.GetProperty("subtype")[0].GetProperty("code").GetString()).ToList());
        var read = events[0];
        Assert.Equal("AuditEvent", read.GetProperty("resourceType").GetString());
        Assert.Equal(("rest", "R", "0"), (read.GetProperty("type").GetProperty("code").GetString(), read.GetProperty("action").GetString(), read.GetProperty("outcome").GetString()));
        Assert.Equal("read", read.GetProperty("subtype")[1].GetProperty("code").GetString());
        Assert.Equal(s.Hospital.ClientId, read.GetProperty("agent")[0].GetProperty("who").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal($"Patient/{id}", read.GetProperty("entity")[0].GetProperty("what").GetProperty("reference").GetString());
        Assert.Equal("C", events[1].GetProperty("action").GetString());
        var failure = Assert.Single(failures.GetProperty("entry").EnumerateArray()).GetProperty("resource");
        Assert.Equal("8", failure.GetProperty("outcome").GetString());
        Assert.StartsWith("HTTP 404", failure.GetProperty("outcomeDesc").GetString(), StringComparison.Ordinal);
        Assert.Single(byType.GetProperty("entry").EnumerateArray());

        var instanceId = read.GetProperty("id").GetString();
        var single = await auditor.GetFromJsonAsync<JsonElement>($"/fhir/AuditEvent/{instanceId}");
        Assert.Equal(instanceId, single.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await auditor.GetAsync(new Uri("/fhir/AuditEvent/999999", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Search_WithTheQueryItRan_CarriesTheQueryAsBase64(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        await client.SendAsync(Hospital.Get("/fhir/Patient?family=Query", token));
        using var auditor = await s.AuditorAsync();

        var bundle = await auditor.GetFromJsonAsync<JsonElement>("/fhir/AuditEvent?type=search");

        var search = Assert.Single(bundle.GetProperty("entry").EnumerateArray()).GetProperty("resource");
        var query = search.GetProperty("entity").EnumerateArray().Single(e => e.TryGetProperty("query", out _)).GetProperty("query").GetString()!;
        Assert.Equal("family=Query", Encoding.UTF8.GetString(Convert.FromBase64String(query)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Writes_ToAuditEvent_AreRefused(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var client = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(client);
        const string body = """{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2026-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"x"}}}""";

        HttpRequestMessage Request(HttpMethod method, string path, string content = body)
        {
            var request = Hospital.Get(path, token);
            request.Method = method;
            request.Content = new StringContent(content, Encoding.UTF8, "application/fhir+json");
            return request;
        }

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.SendAsync(Request(HttpMethod.Post, "/fhir/AuditEvent"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.SendAsync(Request(HttpMethod.Put, "/fhir/AuditEvent/1"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.SendAsync(Request(HttpMethod.Delete, "/fhir/AuditEvent/1"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.SendAsync(Request(HttpMethod.Patch, "/fhir/AuditEvent/1"))).StatusCode);
        var transaction = await client.SendAsync(Request(HttpMethod.Post, "/fhir",
            """{"resourceType":"Bundle","type":"transaction","entry":[{"resource":""" + body + ""","request":{"method":"POST","url":"AuditEvent"}}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, transaction.StatusCode);
        var delete = await client.SendAsync(Request(HttpMethod.Delete, "/api/audit"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);

        using var auditor = await s.AuditorAsync();
        var trail = await AuditSession.TrailAsync(auditor);
        Assert.DoesNotContain(trail, r => r.GetProperty("type").GetString() == "create");
    }
}
