using System.Net.Http.Headers;

namespace Carevault.LoadGen.Scenarios;

/// <summary><c>GET /api/me</c> with one bearer token: the cost of JWT (ES256) validation on every request.</summary>
public sealed class ApiMe : Scenario
{
    string _token = "";

    public override string Name => "api-me";
    public override string Description => "GET /api/me with Bearer (ES256 JWT validation)";

    public override async Task PrepareAsync(ScenarioContext context, CancellationToken ct) =>
        _token = await context.GetAccessTokenAsync(ct);

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseAddress, "/api/me"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    public override WrkRequest AsWrkRequest(ScenarioContext context) =>
        new("GET", "/api/me", new Dictionary<string, string> { ["Authorization"] = "Bearer " + _token });
}
