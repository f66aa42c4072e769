using System.Net;
using System.Text.Json;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Portal.Live;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Api.Tests.Portal;

/// <summary>
/// The live stream (<c>GET /portal/live</c>, Server-Sent Events) and the bus behind it: a connected person of the tenant
/// receives a new blood request without reloading, another tenant's person never does, anonymous callers are refused,
/// and on PostgreSQL two server instances reach each other's connections through LISTEN/NOTIFY.
/// </summary>
public sealed class LiveEventsTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Stream_WithoutASession_Is401_NotTheSignInRedirect(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        using var http = app.CreateClient();

        using var response = await http.GetAsync(new Uri(LiveEvents.Route, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEqual("text/event-stream", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Stream_DeliversANewBloodRequestToTheTenantsConnections_AndNotToAnotherTenants(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider);
        var clinic = await PortalBloodRequestsTests.ClinicAsync(app);
        var elsewhere = await PortalBloodRequestsTests.ClinicAsync(app);
        using var olu = await clinic.SignInAsync("olu");
        using var foreign = await elsewhere.SignInAsync("olu");
        using var timeout = new CancellationTokenSource(Patience);
        await using var mine = await EventStream.OpenAsync(olu.Http, timeout.Token);
        await using var theirs = await EventStream.OpenAsync(foreign.Http, timeout.Token);
        using var staff = await clinic.SignInAsync("staff");
        using var foreignStaff = await elsewhere.SignInAsync("staff");

        (await staff.SubmitAsync("/blood-requests", "broadcast", PortalBloodRequestsTests.Request(group: "B-", units: "4", site: "Ward 9"))).Dispose();
        // The other tenant's own request comes after: if clinic's notice had reached it, it would be read first.
        (await foreignStaff.SubmitAsync("/blood-requests", "broadcast", PortalBloodRequestsTests.Request(group: "AB+", units: "1", site: "Ward 2"))).Dispose();

        var (name, data) = await mine.NextEventAsync(timeout.Token);
        Assert.Equal("blood-request", name);
        var notice = JsonDocument.Parse(data).RootElement;
        Assert.Equal("opened", notice.GetProperty("action").GetString());
        Assert.Equal("4 units of B negative blood needed at Ward 9 (emergency)", notice.GetProperty("text").GetString());
        Assert.Equal("stat", notice.GetProperty("urgency").GetString());
        Assert.Equal(Assert.Single(await clinic.SearchAsync("CommunicationRequest")).GetProperty("id").GetString(), notice.GetProperty("id").GetString());
        var (_, foreignData) = await theirs.NextEventAsync(timeout.Token);
        Assert.Equal("1 unit of AB positive blood needed at Ward 2 (emergency)", JsonDocument.Parse(foreignData).RootElement.GetProperty("text").GetString());

        // Closing is pushed too.
        var requestId = notice.GetProperty("id").GetString()!;
        (await staff.SubmitAsync("/blood-requests", "close", new Dictionary<string, string> { ["Answer.RequestId"] = requestId })).Dispose();
        var (_, closedData) = await mine.NextEventAsync(timeout.Token);
        var closed = JsonDocument.Parse(closedData).RootElement;
        Assert.Equal(("closed", requestId), (closed.GetProperty("action").GetString(), closed.GetProperty("id").GetString()));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Bus_DeliversToTheTenantsSubscribersOnly_AndOnPostgresAcrossTwoInstances(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var db1 = database.OpenDb();
        await using var db2 = database.OpenDb();
        // On PostgreSQL, two buses stand for two server instances on one database; SQLite runs one process, one bus.
        await using var first = Bus(provider, db1);
        await using var second = provider == DatabaseProvider.Postgres ? Bus(provider, db2) : first;
        using var timeout = new CancellationTokenSource(Patience);
        using var a = await first.SubscribeAsync("tenant-a", timeout.Token);
        using var b = await first.SubscribeAsync("tenant-b", timeout.Token);
        using var aOnSecond = await second.SubscribeAsync("tenant-a", timeout.Token);

        await second.PublishAsync(new BroadcastMessage("tenant-a", "blood-request", """{"n":1}"""), timeout.Token);
        await first.PublishAsync(new BroadcastMessage("tenant-b", "blood-request", """{"n":2}"""), timeout.Token);
        await first.PublishAsync(new BroadcastMessage("tenant-a", "blood-request", """{"n":3}"""), timeout.Token);

        Assert.Equal("""{"n":1}""", (await a.Reader.ReadAsync(timeout.Token)).Data);
        Assert.Equal("""{"n":3}""", (await a.Reader.ReadAsync(timeout.Token)).Data);
        // Tenant B's subscriber gets B's notice first: A's notices never reached it.
        var forB = await b.Reader.ReadAsync(timeout.Token);
        Assert.Equal(("tenant-b", """{"n":2}"""), (forB.TenantId, forB.Data));
        Assert.Equal("""{"n":1}""", (await aOnSecond.Reader.ReadAsync(timeout.Token)).Data);
        Assert.Equal("""{"n":3}""", (await aOnSecond.Reader.ReadAsync(timeout.Token)).Data);
        await Assert.ThrowsAsync<ArgumentException>(() => first.PublishAsync(new BroadcastMessage("tenant-a", "x", new string('x', IBroadcastBus.MaxDataLength + 1)), timeout.Token));
    }

    static AsyncDisposableBus Bus(DatabaseProvider provider, Db db) =>
        new(provider == DatabaseProvider.Postgres ? new PostgresBroadcastBus(db, NullLogger<PostgresBroadcastBus>.Instance) : new InProcessBroadcastBus());

    sealed class AsyncDisposableBus(IBroadcastBus bus) : IBroadcastBus, IAsyncDisposable
    {
        public Task PublishAsync(BroadcastMessage message, CancellationToken ct) => bus.PublishAsync(message, ct);
        public Task<BroadcastSubscription> SubscribeAsync(string tenantId, CancellationToken ct) => bus.SubscribeAsync(tenantId, ct);
        public ValueTask DisposeAsync() => bus is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
    }

    /// <summary>An open <c>text/event-stream</c> response read line by line, as an EventSource would.</summary>
    sealed class EventStream : IAsyncDisposable
    {
        readonly HttpResponseMessage _response;
        readonly StreamReader _reader;

        EventStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<EventStream> OpenAsync(HttpClient http, CancellationToken ct)
        {
            var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(LiveEvents.Route, UriKind.Relative)), HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var stream = new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(ct)));
            // The server writes "retry" and a comment once it is subscribed: after that, nothing published is missed.
            Assert.Equal("retry: 3000", await stream._reader.ReadLineAsync(ct));
            return stream;
        }

        /// <summary>The next event's name and data, skipping comments (keep-alives).</summary>
        public async Task<(string Name, string Data)> NextEventAsync(CancellationToken ct)
        {
            string? name = null, data = null;
            while (await _reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null) return (name ?? "message", data);
                    continue;
                }
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            }
            throw new EndOfStreamException("The event stream ended.");
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
