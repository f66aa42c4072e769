using System.Net;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Storage;
using Carevault.TestKit;

namespace Carevault.Api.Tests.Foundation;

public sealed class ErrorModelTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task UnknownRoute_Returns404ProblemDetails(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/no/such/route", UriKind.Relative));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task WrongMethod_Returns405ProblemDetails()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.DeleteAsync(new Uri("/health/live", UriKind.Relative));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method-not-allowed");
    }

    [Fact]
    public async Task CorrelationId_WhenCallerSendsASafeOne_IsEchoed()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/nope");
        request.Headers.Add("X-Correlation-Id", "lab-42.batch_7");

        var response = await client.SendAsync(request);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        Assert.Equal("lab-42.batch_7", problem.GetProperty("correlationId").GetString());
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("<script>")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task CorrelationId_WhenCallerSendsAnUnsafeOne_IsReplaced(string unsafeId)
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", unsafeId);

        var response = await client.SendAsync(request);

        var id = response.Headers.GetValues("X-Correlation-Id").Single();
        Assert.NotEqual(unsafeId, id);
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public async Task EveryResponse_CarriesTheCorrelationIdHeader()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Matches("^[0-9a-f]{32}$", response.Headers.GetValues("X-Correlation-Id").Single());
    }

    [Fact]
    public async Task Responses_DoNotAnnounceTheServer()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.False(response.Headers.Contains("Server"));
    }
}
