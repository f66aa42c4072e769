namespace Carevault.LoadGen.Scenarios;

/// <summary><c>GET /health/live</c>: the nearly empty endpoint — Kestrel, routing, middleware and logging, no I/O.</summary>
public sealed class HealthLive : Scenario
{
    public override string Name => "health-live";
    public override string Description => "GET /health/live (baseline: pipeline only)";

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence) =>
        new(HttpMethod.Get, new Uri(context.BaseAddress, "/health/live"));

    public override WrkRequest AsWrkRequest(ScenarioContext context) =>
        new("GET", "/health/live", new Dictionary<string, string>());
}
