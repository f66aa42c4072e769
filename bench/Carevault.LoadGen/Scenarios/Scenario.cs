namespace Carevault.LoadGen.Scenarios;

/// <summary>
/// One load scenario: how to prepare (fetch a token, seed data) and how to build the next request. The runner owns
/// connections, timing, warm-up and statistics, so a new scenario (FHIR read, search, upload…) is one small class
/// plus one line in <see cref="ScenarioCatalog"/>.
/// </summary>
public abstract class Scenario
{
    /// <summary>Short id used on the command line and in the results (<c>health-live</c>).</summary>
    public abstract string Name { get; }

    /// <summary>One line for the results table: what is exercised.</summary>
    public abstract string Description { get; }

    /// <summary>Status code a successful request answers; anything else counts as an error.</summary>
    public virtual int ExpectedStatus => 200;

    /// <summary>
    /// Connections for this scenario when it has its own (uploads: 1, a per-request latency target measured
    /// without queueing; FHIR read: 64, as its target says). Null: the command line's value.
    /// </summary>
    public virtual int? Connections => null;

    /// <summary>Runs once before warm-up (outside the measurement): get tokens, create the resources to read…</summary>
    public virtual Task PrepareAsync(ScenarioContext context, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Builds request number <paramref name="sequence"/> of worker <paramref name="worker"/>. Called concurrently:
    /// keep per-request state in the request, shared state immutable after <see cref="PrepareAsync"/>.
    /// </summary>
    public abstract HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence);

    /// <summary>
    /// The same request for <c>wrk</c> (method, path, headers, body) when it is a constant one; null when wrk cannot
    /// express it (per-request bodies, uploads).
    /// </summary>
    public virtual WrkRequest? AsWrkRequest(ScenarioContext context) => null;
}

/// <summary>A constant request that <c>wrk</c> can replay.</summary>
public sealed record WrkRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string? Body = null);

/// <summary>What scenarios share: the server's base address and the prepared credentials.</summary>
public sealed class ScenarioContext
{
    public required Uri BaseAddress { get; init; }
    public required HttpClient Client { get; init; }
    public required string ClientId { get; init; }
    public required string ClientSecret { get; init; }

    /// <summary>Gets a bearer token through <c>POST /oauth/token</c> (client_credentials).</summary>
    public async Task<string> GetAccessTokenAsync(CancellationToken ct)
    {
        using var request = TokenRequest.Create(BaseAddress, ClientId, ClientSecret);
        using var response = await Client.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        return json.RootElement.GetProperty("access_token").GetString()
               ?? throw new InvalidOperationException("token response without access_token");
    }
}

static class TokenRequest
{
    public static HttpRequestMessage Create(Uri baseAddress, string clientId, string clientSecret) =>
        new(HttpMethod.Post, new Uri(baseAddress, "/oauth/token"))
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "client_credentials"),
                new("client_id", clientId),
                new("client_secret", clientSecret),
            ]),
        };

    public static string FormBody(string clientId, string clientSecret) =>
        $"grant_type=client_credentials&client_id={Uri.EscapeDataString(clientId)}&client_secret={Uri.EscapeDataString(clientSecret)}";
}
