using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>The original back (verified, ranged), the reports listing by hospital and by patient, and consent before commit.</summary>
public sealed class RetrievalTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Original_IsByteIdentical_AndServesRanges(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var content = new byte[300_000];
        Random.Shared.NextBytes(content);
        var dicom = new byte[128].Concat("DICM"u8.ToArray()).Concat(content).ToArray();
        var jobId = await IngestionApp.SubmitAsync(http, dicom, "application/dicom");

        var full = await http.GetAsync(new Uri($"/api/reports/{jobId}/original", UriKind.Relative));
        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/reports/{jobId}/original");
        rangeRequest.Headers.Range = new RangeHeaderValue(200_000, 200_099);
        var range = await http.SendAsync(rangeRequest);
        using var beyondRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/reports/{jobId}/original");
        beyondRequest.Headers.Range = new RangeHeaderValue(dicom.Length + 10, null);
        var beyond = await http.SendAsync(beyondRequest);

        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("application/dicom", full.Content.Headers.ContentType?.MediaType);
        Assert.Equal(dicom.Length, full.Content.Headers.ContentLength);
        Assert.Equal(dicom, await full.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(dicom[200_000..200_100], await range.Content.ReadAsByteArrayAsync());
        Assert.Equal(200_000, range.Content.Headers.ContentRange?.From);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Original_WhoseHashNoLongerMatches_FailsTheDownloadLoudly(DatabaseProvider provider)
    {
        var app = await apps.IdleAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();
        var jobId = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.Hl7), "application/hl7-v2");
        await app.Services.GetRequiredService<Db>().ExecuteAsync("UPDATE ingestion_jobs SET sha256 = @bad WHERE id = @jobId", new { bad = new string('0', 64), jobId }, default);

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var response = await http.GetAsync(new Uri($"/api/reports/{jobId}/original", UriKind.Relative));
            await response.Content.ReadAsByteArrayAsync();
        });
        Assert.Contains(app.Logs.Lines, l => l.Text.Contains($"Report {jobId}: the stored original does not match its SHA-256", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Reports_ListTheHospitalsReports_AndFindThemByPatientIdentifierOrName(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (tenant, _, http) = await app.NewHospitalAsync();
        var (_, _, other) = await app.NewHospitalAsync();
        var (_, staff) = await app.SignedInUserAsync(tenant, "staff");
        var (_, doctor) = await app.SignedInUserAsync(tenant, "doctor");
        var first = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-10", "Fitzgerald")), "application/fhir+json");
        var second = await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-11", "Lindqvist")), "application/fhir+json");
        await IngestionApp.WaitForJobAsync(http, first);
        await IngestionApp.WaitForJobAsync(http, second);
        await IngestionApp.SubmitAsync(other, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-10", "Fitzgerald")), "application/fhir+json");

        static async Task<List<JsonElement>> ItemsAsync(HttpClient client, string query) =>
            JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/reports" + query, UriKind.Relative))).RootElement.GetProperty("items").EnumerateArray().ToList();
        var all = await ItemsAsync(http, "");
        var byIdentifier = await ItemsAsync(doctor, "?patient=" + Uri.EscapeDataString(Reports.Mrn + "|MRN-10"));
        var byValue = await ItemsAsync(http, "?patient=MRN-11");
        var byName = await ItemsAsync(http, "?patient=lindq");
        var nobody = await ItemsAsync(http, "?patient=Nobody");

        Assert.Equal([second, first], all.Select(i => i.GetProperty("reportId").GetString()));
        var item = all[1];
        Assert.Equal("completed", item.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal($"/api/reports/{first}/original", item.GetProperty("original").GetString());
        Assert.Equal(3, item.GetProperty("resources").GetArrayLength());
        Assert.Equal([first], byIdentifier.Select(i => i.GetProperty("reportId").GetString()));
        Assert.Equal([second], byValue.Select(i => i.GetProperty("reportId").GetString()));
        Assert.Equal([second], byName.Select(i => i.GetProperty("reportId").GetString()));
        Assert.Empty(nobody);
        await ProblemAssert.IsProblemAsync(await staff.GetAsync(new Uri("/api/reports", UriKind.Relative)), HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Consent_ThatDeniesTheSubmitter_FailsTheJobAndStoresNothingButTheQuarantinedOriginal(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (tenant, clientId, http) = await app.NewHospitalAsync();
        var (_, otherClient) = await app.NewClientAsync(tenant, "system/*.cruds");
        var patient = await http.PostAsync(new Uri("/fhir/Patient", UriKind.Relative), Fhir($$$"""{"resourceType":"Patient","identifier":[{"system":"{{{Reports.Mrn}}}","value":"MRN-20"}]}"""));
        var patientId = JsonDocument.Parse(await patient.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var consent = await http.PostAsync(new Uri("/fhir/Consent", UriKind.Relative), Fhir("""
            {"resourceType":"Consent","status":"active",
             "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
             "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
             "patient":{"reference":"Patient/PATIENT_ID"},
             "provision":{"type":"permit","provision":[{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
               "reference":{"identifier":{"system":"urn:carevault:client-id","value":"CLIENT_ID"}}}]}]}}
            """.Replace("PATIENT_ID", patientId, StringComparison.Ordinal).Replace("CLIENT_ID", clientId, StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Created, consent.StatusCode);
        var observation = $$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"Patient/{{{patientId}}}"}}""";

        var denied = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(observation), "application/fhir+json"));
        var deniedByIdentifier = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, IngestionApp.Utf8(Reports.PatientAndObservation("MRN-20")), "application/fhir+json"));
        var permitted = await IngestionApp.WaitForJobAsync(otherClient, await IngestionApp.SubmitAsync(otherClient, IngestionApp.Utf8(observation), "application/fhir+json"));

        foreach (var job in new[] { denied, deniedByIdentifier })
        {
            Assert.Equal("failed", job.GetProperty("status").GetString());
            Assert.Equal("consent-denied", job.GetProperty("problem").GetProperty("code").GetString());
            Assert.True(job.GetProperty("quarantined").GetBoolean());
            Assert.Empty(job.GetProperty("resources").EnumerateArray());
        }
        Assert.Equal("completed", permitted.GetProperty("status").GetString());
        var observations = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/fhir/Observation?subject=Patient/{patientId}&_total=accurate", UriKind.Relative))).RootElement;
        Assert.Equal(1, observations.GetProperty("total").GetInt32()); // the permitted submitter's only
        var patients = JsonDocument.Parse(await http.GetStringAsync(new Uri("/fhir/Patient?_total=accurate&_count=0", UriKind.Relative))).RootElement;
        Assert.Equal(1, patients.GetProperty("total").GetInt32());
    }

    static StringContent Fhir(string json) => new(json, System.Text.Encoding.UTF8, "application/fhir+json");
}
