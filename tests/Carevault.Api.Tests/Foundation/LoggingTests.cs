using System.Text;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;

namespace Carevault.Api.Tests.Foundation;

public sealed class LoggingTests
{
    const string PatientName = "Zebediah Quackenbush";

    [Fact]
    public async Task Request_CarryingAPatientName_LeavesTheNameInNoLogLine()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        var escaped = Uri.EscapeDataString(PatientName);

        await client.GetAsync(new Uri($"/fhir/Patient?name={escaped}", UriKind.Relative));
        await client.GetAsync(new Uri($"/api/patients/{escaped}", UriKind.Relative));
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/health/live?family={escaped}")
        {
            Content = new StringContent($$"""{"name":"{{PatientName}}"}""", Encoding.UTF8, "application/json"),
        };
        post.Headers.TryAddWithoutValidation("User-Agent", PatientName);
        await client.SendAsync(post);

        Assert.NotEmpty(app.Logs.Lines);
        foreach (var line in app.Logs.Lines)
        {
            Assert.DoesNotContain("Zebediah", line.Text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Quackenbush", line.Text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task EveryLogLineOfARequest_CarriesItsCorrelationId()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        app.Logs.Lines.Clear();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        request.Headers.Add("X-Correlation-Id", "trace-me-1");

        await client.SendAsync(request);

        var requestLines = app.Logs.Lines.Where(l => l.Category.StartsWith("Carevault", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(requestLines);
        Assert.All(requestLines, line => Assert.Equal("trace-me-1", line.Scope.GetValueOrDefault("CorrelationId")));
    }
}
