using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carevault.LoadGen.Fhir;

namespace Carevault.LoadGen.Scenarios;

/// <summary>
/// The synthetic Observations the FHIR scenarios work on: loaded once per run through the bulk path (Program's
/// <c>--fhir-observations N</c>), or, when a FHIR scenario runs without it, 2,000 loaded on first use.
/// </summary>
public static class FhirDataset
{
    static readonly SemaphoreSlim Gate = new(1, 1);

    public static long Loaded { get; set; }

    public static async Task EnsureAsync(ScenarioContext context, CancellationToken ct)
    {
        await Gate.WaitAsync(ct);
        try
        {
            if (Loaded > 0) return;
            Loaded = (await BulkLoad.RunAsync(context, 2_000, 2_000, null, ct)).Created;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static HttpRequestMessage Get(ScenarioContext context, string token, string pathAndQuery)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseAddress, pathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}

/// <summary><c>GET /fhir/Observation/{id}</c> at 64 connections (issue 4: ≥ 15,000/s, p99 &lt; 10 ms), over 1,000 ids of the loaded data.</summary>
public sealed class FhirRead : Scenario
{
    string _token = "";
    string[] _ids = [];

    public override string Name => "fhir-read";
    public override string Description => "GET /fhir/Observation/{id} (read by id; 1,000 ids in turn)";
    public override int? Connections => 64;

    public override async Task PrepareAsync(ScenarioContext context, CancellationToken ct)
    {
        _token = await context.GetAccessTokenAsync(ct);
        await FhirDataset.EnsureAsync(context, ct);
        using var response = await context.Client.SendAsync(FhirDataset.Get(context, _token, "/fhir/Observation?_count=1000&_elements=id"), ct);
        response.EnsureSuccessStatusCode();
        using var bundle = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        _ids = [.. bundle.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!)];
    }

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence) =>
        FhirDataset.Get(context, _token, "/fhir/Observation/" + _ids[(int)((sequence * 64 + worker) % _ids.Length)]);

    public override WrkRequest AsWrkRequest(ScenarioContext context) =>
        new("GET", "/fhir/Observation/" + _ids[0], new Dictionary<string, string> { ["Authorization"] = "Bearer " + _token });
}

/// <summary><c>POST /fhir/Observation</c> (issue 4: ≥ 3,000/s on both backends): validate, index, one transaction per create.</summary>
public sealed class FhirCreate : Scenario
{
    string _token = "";

    public override string Name => "fhir-create";
    public override string Description => "POST /fhir/Observation (validate + index + commit each)";
    public override int ExpectedStatus => 201;

    public override async Task PrepareAsync(ScenarioContext context, CancellationToken ct) => _token = await context.GetAccessTokenAsync(ct);

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence)
    {
        var line = SyntheticObservations.Line(10_000_000_000L + worker * 1_000_000_000L + sequence, new Random(unchecked(worker * 31 + (int)sequence)));
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseAddress, "/fhir/Observation"))
        {
            Content = new StringContent(line, Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }
}

/// <summary>
/// <c>GET /fhir/Observation?patient=…&amp;code=…&amp;date=ge…</c> over the loaded data (issue 4: p50 &lt; 10 ms with
/// 1,000,000 Observations): a random patient and LOINC code per request, the last six months.
/// </summary>
public sealed class FhirSearch : Scenario
{
    string _token = "";

    public override string Name => "fhir-search";
    public override string Description => "GET /fhir/Observation?patient=…&code=http://loinc.org|…&date=ge2025-07-01 (random patient and code)";

    public override async Task PrepareAsync(ScenarioContext context, CancellationToken ct)
    {
        _token = await context.GetAccessTokenAsync(ct);
        await FhirDataset.EnsureAsync(context, ct);
    }

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence)
    {
        var random = new Random(unchecked(worker * 7919 + (int)sequence));
        var code = SyntheticObservations.Codes[random.Next(SyntheticObservations.Codes.Length)].Code;
        var patient = random.Next(SyntheticObservations.Patients).ToString(CultureInfo.InvariantCulture);
        return FhirDataset.Get(context, _token, $"/fhir/Observation?patient=bench-p{patient}&code=http://loinc.org%7C{code}&date=ge2025-07-01");
    }

    public override WrkRequest AsWrkRequest(ScenarioContext context) =>
        new("GET", "/fhir/Observation?patient=bench-p4242&code=http://loinc.org%7C2345-7&date=ge2025-07-01",
            new Dictionary<string, string> { ["Authorization"] = "Bearer " + _token });
}
