using System.Net;
using System.Text;
using System.Text.Json;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>
/// ADT with the real mapping library and the sample messages of tests/data/hl7v2 (microsoft/FHIR-Converter, see
/// SOURCES.md there): A01, A04 and A08 about one patient and visit update that Patient and Encounter — new versions,
/// history kept — instead of creating duplicates.
/// </summary>
public sealed class AdtUpdateTests(IngestionApps apps) : IClassFixture<IngestionApps>
{
    static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "hl7v2", name));

    static async Task<JsonElement> CompletedAsync(HttpClient http, byte[] message)
    {
        var job = await IngestionApp.WaitForJobAsync(http, await IngestionApp.SubmitAsync(http, message, "application/hl7-v2"));
        Assert.True(job.GetProperty("status").GetString() == "completed", job.ToString());
        return job;
    }

    static async Task<JsonElement> GetAsync(HttpClient http, string url)
    {
        var response = await http.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task AdtA01A04A08_SamePatientAndVisit_UpdateOnePatientAndEncounter_WithHistory(DatabaseProvider provider)
    {
        var app = await apps.WorkingAsync(provider);
        var (_, _, http) = await app.NewHospitalAsync();

        await CompletedAsync(http, Sample("ms_adt_a01_v28.hl7"));
        await CompletedAsync(http, Sample("ms_adt_a04_v28.hl7"));
        await CompletedAsync(http, Sample("ms_adt_a08_v28.hl7"));
        // The A08 sample again with a corrected family name (PID-5.1), as a registration clerk's fix would send it.
        var corrected = Encoding.UTF8.GetString(Sample("ms_adt_a08_v28.hl7")).Replace("|EVERYMAN&&&&Aniston^ADAM", "|EVERYWOMAN&&&&Aniston^ADAM", StringComparison.Ordinal);
        Assert.Contains("EVERYWOMAN", corrected, StringComparison.Ordinal);
        await CompletedAsync(http, Encoding.UTF8.GetBytes(corrected));

        var patients = await GetAsync(http, "/fhir/Patient?identifier=urn:oid:2.16.1|PATID1234&_total=accurate");
        Assert.Equal(1, patients.GetProperty("total").GetInt32());
        var patient = patients.GetProperty("entry")[0].GetProperty("resource");
        var id = patient.GetProperty("id").GetString();
        Assert.Equal("4", patient.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("EVERYWOMAN", patient.GetProperty("name")[0].GetProperty("family").GetString());
        var history = await GetAsync(http, $"/fhir/Patient/{id}/_history");
        Assert.Equal(4, history.GetProperty("entry").GetArrayLength());
        var first = await GetAsync(http, $"/fhir/Patient/{id}/_history/1");
        Assert.Equal("EVERYMAN", first.GetProperty("name")[0].GetProperty("family").GetString());

        // One Encounter for the visit (PV1-19), updated by each message, pointing at the one Patient.
        var encounters = await GetAsync(http, $"/fhir/Encounter?subject=Patient/{id}&_total=accurate");
        Assert.Equal(1, encounters.GetProperty("total").GetInt32());
        var encounter = encounters.GetProperty("entry")[0].GetProperty("resource");
        Assert.Equal("4", encounter.GetProperty("meta").GetProperty("versionId").GetString());
    }
}
