namespace Carevault.LoadGen.Scenarios;

/// <summary><c>POST /oauth/token</c> (client_credentials): secret check against the database, ES256 signature.</summary>
public sealed class TokenIssue : Scenario
{
    public override string Name => "token-issue";
    public override string Description => "POST /oauth/token client_credentials (DB lookup + ES256 sign)";

    public override HttpRequestMessage CreateRequest(ScenarioContext context, int worker, long sequence) =>
        TokenRequest.Create(context.BaseAddress, context.ClientId, context.ClientSecret);

    public override WrkRequest AsWrkRequest(ScenarioContext context) =>
        new("POST", "/oauth/token",
            new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            TokenRequest.FormBody(context.ClientId, context.ClientSecret));
}
