using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Audit;

/// <summary>Bulk export in the trail: the kick-off (with its query) and each file download are recorded; status polls are not.</summary>
public sealed class FhirExportAuditTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task KickOffDownloadAndCancel_AreAudited_PollsAreNot(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var s = await AuditSession.CreateAsync(app);
        using var http = app.CreateClient();
        var token = await s.Hospital.GetTokenAsync(http);
        var patient = await AuditSession.CreatePatientAsync(http, token, "Exported");

        HttpRequestMessage Request(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Prefer", "respond-async");
            return request;
        }

        var kickOff = await http.SendAsync(Request(HttpMethod.Get, "/fhir/$export?_type=Patient"));
        Assert.Equal(HttpStatusCode.Accepted, kickOff.StatusCode);
        var status = kickOff.Content.Headers.ContentLocation!.PathAndQuery;
        var exportId = status[(status.LastIndexOf('/') + 1)..];
        var polls = 0;
        HttpResponseMessage polled;
        do
        {
            await Task.Delay(polls++ == 0 ? 0 : 50);
            polled = await http.SendAsync(Request(HttpMethod.Get, status));
        }
        while (polled.StatusCode == HttpStatusCode.Accepted && polls < 600);
        Assert.Equal(HttpStatusCode.OK, polled.StatusCode);
        var url = JsonDocument.Parse(await polled.Content.ReadAsStringAsync()).RootElement.GetProperty("output")[0].GetProperty("url").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Request(HttpMethod.Get, new Uri(url).PathAndQuery))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(Request(HttpMethod.Delete, status))).StatusCode);

        using var auditor = await s.AuditorAsync();
        var trail = (await AuditSession.TrailAsync(auditor)).Where(r => r.GetProperty("actor").GetProperty("id").GetString() == s.Hospital.ClientId).ToList();
        var types = trail.Select(r => r.GetProperty("type").GetString()).ToList();
        Assert.Equal(["token-issue", "create", "search", "download", "delete"], types);
        Assert.Equal("_type=Patient", trail[2].GetProperty("query").GetString());
        Assert.Equal($"_export={exportId}&file=Patient-1.ndjson", trail[3].GetProperty("query").GetString());
        Assert.Equal(200, trail[3].GetProperty("status").GetInt32());
        Assert.Equal(202, trail[4].GetProperty("status").GetInt32());
        Assert.Contains($"Patient/{patient}", trail[1].GetProperty("entities").EnumerateArray().Select(e => e.GetString()));
    }
}
