namespace Carevault.LoadGen.Scenarios;

/// <summary><c>GET /health/ready</c>: database, migrations and blob-store checks on every call.</summary>
public sealed class HealthReady : Scenario
{
    public override string Name => "health-ready";
    public override string Description => "GET /health/ready (database + blob checks)";

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence) =>
        new(HttpMethod.Get, new Uri(context.BaseAddress, "/health/ready"));

    public override WrkRequest AsWrkRequest(ScenarioContext context) =>
        new("GET", "/health/ready", new Dictionary<string, string>());
}
