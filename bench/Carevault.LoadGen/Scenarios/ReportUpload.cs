using System.Net.Http.Headers;

namespace Carevault.LoadGen.Scenarios;

/// <summary>
/// <c>POST /api/reports</c> with a raw PDF body of a fixed size, answered 202 once the original is sniffed, hashed,
/// encrypted and durably stored with its job row (issue 5 target: a 10 MB file accepted in ≤ 100 ms median). One
/// connection: the target is per request, so queueing behind other uploads must not be measured. The body is a PDF
/// header and deterministic filler: the worker that processes it afterwards fails the job fast (not a parseable PDF),
/// so background work stays small (it still decrypts and hashes the original once, on the same 2 cores).
/// </summary>
public sealed class ReportUpload(int megabytes) : Scenario
{
    string _token = "";
    byte[] _body = [];

    public override string Name => $"report-upload-{megabytes}mb";
    public override string Description => $"POST /api/reports, {megabytes} MB PDF body → 202 (scan, SHA-256, AES-GCM, fsync, job row)";
    public override int ExpectedStatus => 202;
    public override int? Connections => 1;

    public override async Task PrepareAsync(ScenarioContext context, CancellationToken ct)
    {
        _token = await context.GetAccessTokenAsync(ct);
        _body = new byte[megabytes * 1_000_000];
        new Random(megabytes).NextBytes(_body);
        "%PDF-1.4\n%"u8.CopyTo(_body);
    }

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseAddress, "/api/reports")) { Content = new ByteArrayContent(_body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }
}
