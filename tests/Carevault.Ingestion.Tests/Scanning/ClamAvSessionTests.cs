using Carevault.Ingestion.Scanning;

namespace Carevault.Ingestion.Tests.Scanning;

public sealed class ClamAvSessionTests
{
    [Theory]
    [InlineData("stream: OK", ClamAvVerdictKind.Clean, null)]
    [InlineData("stream: Win.Test.EICAR_HDB-1 FOUND", ClamAvVerdictKind.Infected, "Win.Test.EICAR_HDB-1")]
    [InlineData("stream: Carevault.Test.ClamPdf.UNOFFICIAL FOUND", ClamAvVerdictKind.Infected, "Carevault.Test.ClamPdf.UNOFFICIAL")]
    [InlineData("INSTREAM size limit exceeded. ERROR", ClamAvVerdictKind.Error, null)]
    [InlineData("", ClamAvVerdictKind.Error, null)]
    public void Interpret_ReadsClamdsReply(string reply, ClamAvVerdictKind kind, string? signature)
    {
        var verdict = ClamAvSession.Interpret(reply);

        Assert.Equal(kind, verdict.Kind);
        Assert.Equal(signature, verdict.Signature);
    }

    [Theory]
    [InlineData("http://127.0.0.1:3310")]
    [InlineData("127.0.0.1:3310")]
    [InlineData("tcp://127.0.0.1")]
    public async Task Start_WithAMalformedEndpoint_SaysWhatItWants(string endpoint)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new ClamAvClient(endpoint, TimeSpan.FromSeconds(1)).StartAsync(default));

        Assert.Contains("Scanning:ClamAv:Endpoint", error.Message, StringComparison.Ordinal);
    }
}
