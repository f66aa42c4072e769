namespace Carevault.LoadGen.Scenarios;

/// <summary>Every load scenario, one line each; <c>--scenarios</c> picks from these names.</summary>
public static class ScenarioCatalog
{
    public static IReadOnlyList<Func<Scenario>> All { get; } =
    [
        () => new HealthLive(),
        () => new HealthReady(),
        () => new TokenIssue(),
        () => new ApiMe(),
        () => new ReportUpload(1),
        () => new ReportUpload(10),
        () => new Hl7EndToEnd(),
        () => new FhirRead(),
        () => new FhirCreate(),
        () => new FhirSearch(),
    ];

    public static Scenario? Find(string name) =>
        All.Select(f => f()).FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
