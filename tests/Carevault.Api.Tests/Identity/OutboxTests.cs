using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.Outbox;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Storage;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Carevault.TestKit;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carevault.Api.Tests.Identity;

public sealed class OutboxTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Enqueue_WhenTheTransactionRollsBack_LeavesNoMessage_AndWhenItCommits_OneSealedMessage(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings(pollSeconds: 3600));
        var tenant = await Mail.CreateTenantAsync(app);
        var outbox = app.Services.GetRequiredService<EmailOutbox>();
        var db = app.Services.GetRequiredService<Db>();
        var email = new OutgoingEmail { TenantId = tenant, Kind = "test", Recipient = "ada@example.org", Subject = "Hello", Body = "Private body 12345" };

        await db.WriteAsync(async (_, rolledBack, ct) => (await outbox.EnqueueAsync(rolledBack, email, ct), false), default);
        Assert.Empty(await Mail.RowsAsync(app, tenant));

        var id = await db.WriteAsync(async (_, committed, ct) => (await outbox.EnqueueAsync(committed, email, ct), true), default);
        var row = Assert.Single(await Mail.RowsAsync(app, tenant));
        Assert.Equal(id, row.Id);
        Assert.Equal(tenant, row.TenantId);
        Assert.Equal("test", row.Kind);
        Assert.Equal("ada@example.org", row.Recipient);
        Assert.Equal("Hello", row.Subject);
        Assert.Equal(0, row.Attempts);
        Assert.Null(row.SentAt);
        Assert.Null(row.LastError);
        Assert.Equal(row.CreatedAt, row.NextAttemptAt);
        Assert.DoesNotContain("Private body", Encoding.UTF8.GetString(row.Body), StringComparison.Ordinal); // sealed at rest
        var unsealed = await app.Services.GetRequiredService<MasterKeys>().UnsealAsync(row.Body, default);
        Assert.Equal("Private body 12345", Encoding.UTF8.GetString(unsealed));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Sender_WithTheDevelopmentSink_WritesAnOwnerOnlyEmlFile_AndMarksTheMessageSent(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings());
        var tenant = await Mail.CreateTenantAsync(app);

        var id = await Mail.EnqueueAsync(app, tenant, "ada@example.org", "Clinic letter ready", "Dear Ada,\nyour letter is ready.\nÅsa");

        var eml = await Mail.WaitForEmlAsync(app, m => m.Path.Contains(id, StringComparison.Ordinal));
        Assert.Equal("ada@example.org", eml.Headers["To"]);
        Assert.Equal("carevault@localhost", eml.Headers["From"]);
        Assert.Equal("Clinic letter ready", eml.Headers["Subject"]);
        Assert.Equal($"<{id}@carevault>", eml.Headers["Message-ID"]);
        Assert.Equal("text/plain; charset=utf-8", eml.Headers["Content-Type"]);
        Assert.Equal("Dear Ada,\r\nyour letter is ready.\r\nÅsa\r\n", eml.Body);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(eml.Path));

        var row = await Mail.WaitForRowAsync(app, tenant, r => r.SentAt is not null);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.LastError);
        Assert.Empty(row.Body); // the body is not kept once delivered
        await Mail.WaitForLogAsync(app, l => l.Text.Contains(id, StringComparison.Ordinal) && l.Category.EndsWith("OutboxSender", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Text.Contains("ada@example.org", StringComparison.Ordinal) || l.Text.Contains("Dear Ada", StringComparison.Ordinal)
            || l.Text.Contains("Clinic letter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sender_WithSmtpConfigured_DeliversToALocalSmtpServer()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings(smtpPort: smtp.Port));
        var tenant = await Mail.CreateTenantAsync(app);

        var id = await Mail.EnqueueAsync(app, tenant, "ada@example.org", "Clinic letter ready", "Dear Ada,\nyour letter is ready: Åsa.");

        var message = await smtp.WaitForMessageAsync(m => m.Contains($"<{id}@carevault>", StringComparison.Ordinal));
        Assert.Contains("To: ada@example.org", message, StringComparison.Ordinal);
        Assert.Contains("From: noreply@carevault.test", message, StringComparison.Ordinal);
        Assert.Equal("Dear Ada,\r\nyour letter is ready: Åsa.", SmtpSink.DecodeBody(message).TrimEnd());
        var row = await Mail.WaitForRowAsync(app, tenant, r => r.SentAt is not null);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.LastError);
        Assert.False(Directory.Exists(app.Services.GetRequiredService<EmailOptions>().FileDirectory)); // no development copy
    }

    [Fact]
    public async Task Sender_WhenTheSmtpServerIsDown_RecordsTheErrorAndRetriesAfterTheBackoff()
    {
        var clock = new TestClock();
        var port = SmtpSink.FreePort();
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings(smtpPort: port), clock);
        var tenant = await Mail.CreateTenantAsync(app);

        var id = await Mail.EnqueueAsync(app, tenant, "ada@example.org", "Reminder", "See you on Monday.");

        var failed = await Mail.WaitForRowAsync(app, tenant, r => r.Attempts == 1 && r.LastError is not null);
        Assert.StartsWith("smtp_", failed.LastError, StringComparison.Ordinal);
        Assert.Null(failed.SentAt);
        Assert.Equal((clock.GetUtcNow() + OutboxSender.RetryDelay(1)).ToUnixTimeMilliseconds(), failed.NextAttemptAt);
        Assert.NotEmpty(failed.Body);
        await Mail.WaitForLogAsync(app, l => l.Level == LogLevel.Warning && l.Text.Contains(id, StringComparison.Ordinal) && l.Text.Contains(failed.LastError!, StringComparison.Ordinal));

        await using var smtp = await SmtpSink.StartAsync(port);
        await Task.Delay(500); // several polls: not due yet
        Assert.Null((await Mail.RowsAsync(app, tenant)).Single().SentAt);
        clock.Advance(OutboxSender.RetryDelay(1) + TimeSpan.FromSeconds(1));

        await smtp.WaitForMessageAsync(m => m.Contains($"<{id}@carevault>", StringComparison.Ordinal));
        var sent = await Mail.WaitForRowAsync(app, tenant, r => r.SentAt is not null);
        Assert.Equal(2, sent.Attempts);
        Assert.Null(sent.LastError);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Text.Contains("ada@example.org", StringComparison.Ordinal) || l.Text.Contains("Monday", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sender_AfterMaxAttempts_GivesUpAndLogsIt()
    {
        var clock = new TestClock();
        var settings = Mail.Settings(smtpPort: SmtpSink.FreePort());
        settings["Email:Outbox:MaxAttempts"] = "2";
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, settings, clock);
        var tenant = await Mail.CreateTenantAsync(app);
        var id = await Mail.EnqueueAsync(app, tenant, "ada@example.org", "Reminder", "See you on Monday.");
        await Mail.WaitForRowAsync(app, tenant, r => r.Attempts == 1 && r.LastError is not null);

        clock.Advance(OutboxSender.RetryDelay(1) + TimeSpan.FromSeconds(1));
        // Attempts reaches 2 when the retry is claimed, before its failure is recorded: wait for the give-up log instead.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!app.Logs.Lines.Any(l => l.Level == LogLevel.Error && l.Text.Contains("abandoned", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        var abandoned = (await Mail.RowsAsync(app, tenant)).Single();
        Assert.Equal(2, abandoned.Attempts);
        Assert.NotNull(abandoned.LastError);
        clock.Advance(TimeSpan.FromDays(1));
        await Task.Delay(500);

        Assert.Equal(abandoned, (await Mail.RowsAsync(app, tenant)).Single() with { Body = abandoned.Body });
        Assert.Null(abandoned.SentAt);
        Assert.Contains(app.Logs.Lines, l => l.Level == LogLevel.Error && l.Text.Contains(id, StringComparison.Ordinal) && l.Text.Contains("abandoned", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sender_WhenTheSinkThrowsSomethingUnexpected_RecordsItAndKeepsServing()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite, Mail.Settings(pollSeconds: 3600));
        var tenant = await Mail.CreateTenantAsync(app);
        await Mail.EnqueueAsync(app, tenant, "ada@example.org", "Reminder", "See you on Monday.");
        using var sender = new OutboxSender(app.Services.GetRequiredService<Db>(), app.Services.GetRequiredService<MasterKeys>(), new ThrowingSink(),
            app.Services.GetRequiredService<EmailOptions>(), app.Services.GetRequiredService<TimeProvider>(), app.Services.GetRequiredService<ILogger<OutboxSender>>());

        Assert.Equal(1, await sender.SendDueAsync(default));

        var row = (await Mail.RowsAsync(app, tenant)).Single();
        Assert.Equal("error_NotSupportedException", row.LastError);
        Assert.Null(row.SentAt);
    }

    sealed class ThrowingSink : IEmailSink
    {
        public Task SendAsync(EmailMessage message, CancellationToken ct) => throw new NotSupportedException("ada@example.org");
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(5, 480)]
    [InlineData(9, 3600)]
    [InlineData(100, 3600)]
    public void RetryDelay_GrowsAndIsCapped(int attempts, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OutboxSender.RetryDelay(attempts));

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task SendDue_TwoSendersAtOnce_DeliverEveryMessageExactlyOnce(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings(pollSeconds: 3600));
        var tenant = await Mail.CreateTenantAsync(app);
        await Task.Delay(300); // the hosted sender's first (empty) round is done; its next is an hour away
        var ids = new List<string>();
        for (var i = 0; i < 60; i++) ids.Add(await Mail.EnqueueAsync(app, tenant, $"p{i}@example.org", "Notice", "Body " + i));

        var sink = new RecordingSink();
        var options = app.Services.GetRequiredService<EmailOptions>() with { BatchSize = 4 };
        OutboxSender NewSender() => new(app.Services.GetRequiredService<Db>(), app.Services.GetRequiredService<MasterKeys>(), sink, options,
            app.Services.GetRequiredService<TimeProvider>(), app.Services.GetRequiredService<ILogger<OutboxSender>>());
        using var first = NewSender();
        using var second = NewSender();
        static async Task DrainAsync(OutboxSender sender)
        {
            while (await sender.SendDueAsync(default) > 0) { }
        }

        await Task.WhenAll(Task.Run(() => DrainAsync(first)), Task.Run(() => DrainAsync(second)));

        var fileDirectory = app.Services.GetRequiredService<EmailOptions>().FileDirectory;
        foreach (var id in ids)
        {
            var viaFile = File.Exists(Path.Combine(fileDirectory, id + ".eml")) ? 1 : 0;
            Assert.Equal(1, sink.Count(id) + viaFile);
        }
        Assert.All(await Mail.RowsAsync(app, tenant), r => Assert.NotNull(r.SentAt));
    }

    sealed class RecordingSink : IEmailSink
    {
        readonly ConcurrentDictionary<string, int> _counts = new();

        public int Count(string id) => _counts.GetValueOrDefault(id);

        public async Task SendAsync(EmailMessage message, CancellationToken ct)
        {
            _counts.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
            await Task.Delay(2, ct); // widen the window in which another sender could take the same message
        }
    }
}

/// <summary>Helpers for tests that send mail: fast polling, .eml files of the development sink, outbox rows.</summary>
static class Mail
{
    public const string PublicUrl = "https://carevault.example";

    public sealed record Row(string Id, string TenantId, string Kind, string Recipient, string Subject, byte[] Body, long CreatedAt, long? SentAt,
        long Attempts, long NextAttemptAt, string? LastError);

    public sealed record Eml(string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    public static Dictionary<string, string?> Settings(double pollSeconds = 0.1, int? smtpPort = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["PublicUrl"] = PublicUrl,
            ["Email:Outbox:PollIntervalSeconds"] = pollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (smtpPort is { } port)
        {
            settings["Email:Smtp:Host"] = "127.0.0.1";
            settings["Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["Email:Smtp:From"] = "noreply@carevault.test";
            settings["Email:Smtp:TimeoutSeconds"] = "5";
        }
        return settings;
    }

    public static async Task<string> CreateTenantAsync(CarevaultApp app)
    {
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        return tenant;
    }

    public static async Task<string> EnqueueAsync(CarevaultApp app, string tenant, string recipient, string subject, string body)
    {
        var outbox = app.Services.GetRequiredService<EmailOutbox>();
        return await app.Services.GetRequiredService<Db>().WriteAsync(async (_, transaction, ct) => (await outbox.EnqueueAsync(transaction,
            new OutgoingEmail { TenantId = tenant, Kind = "test", Recipient = recipient, Subject = subject, Body = body }, ct), true), default);
    }

    public static async Task<IReadOnlyList<Row>> RowsAsync(CarevaultApp app, string tenant)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync(default);
        return (await connection.QueryAsync<Row>("""
            SELECT id AS Id, tenant_id AS TenantId, kind AS Kind, recipient AS Recipient, subject AS Subject, body AS Body, created_at AS CreatedAt,
                   sent_at AS SentAt, attempts AS Attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError
            FROM outbox_messages WHERE tenant_id = @tenant ORDER BY created_at, id
            """, new { tenant })).ToList();
    }

    public static async Task<Row> WaitForRowAsync(CarevaultApp app, string tenant, Func<Row, bool> match)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if ((await RowsAsync(app, tenant)).FirstOrDefault(match) is { } row) return row;
            if (watch.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("No outbox row matched in 20 s.");
            await Task.Delay(50);
        }
    }

    public static async Task<Eml> WaitForEmlAsync(CarevaultApp app, Func<Eml, bool> match)
    {
        var directory = app.Services.GetRequiredService<EmailOptions>().FileDirectory;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (Directory.Exists(directory))
            {
                foreach (var path in Directory.GetFiles(directory, "*.eml"))
                    if (Parse(path) is var eml && match(eml)) return eml;
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("No .eml file matched in 20 s.");
            await Task.Delay(50);
        }
    }

    public static IReadOnlyList<Eml> Emls(CarevaultApp app)
    {
        var directory = app.Services.GetRequiredService<EmailOptions>().FileDirectory;
        return Directory.Exists(directory) ? Directory.GetFiles(directory, "*.eml").Select(Parse).ToList() : [];
    }

    static Eml Parse(string path)
    {
        var text = File.ReadAllText(path, Encoding.UTF8);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = text[..split].Split("\r\n").Select(line => line.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);
        return new Eml(path, headers, text[(split + 4)..]);
    }

    /// <summary>The token of the reset link in a message body.</summary>
    /// <summary>The sender logs just after it updates the row: wait for the line rather than racing it.</summary>
    public static async Task WaitForLogAsync(CarevaultApp app, Func<CapturedLogs.LogLine, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!app.Logs.Lines.Any(match) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Contains(app.Logs.Lines, l => match(l));
    }

    public static string ResetToken(string body)
    {
        var prefix = PublicUrl + "/reset-password?token=";
        var start = body.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(start >= 0, "The message holds no reset link to " + PublicUrl);
        start += prefix.Length;
        var end = start;
        while (end < body.Length && !char.IsWhiteSpace(body[end])) end++;
        return body[start..end];
    }
}

/// <summary>
/// Debian's python3-aiosmtpd as a throwaway SMTP server on 127.0.0.1, printing each message it receives. A missing
/// package fails the test (it must not pass by skipping): the test command installs python3-aiosmtpd.
/// </summary>
sealed class SmtpSink : IAsyncDisposable
{
    const string Python = "/usr/bin/python3";
    readonly Process _process;
    readonly StringBuilder _output = new();

    SmtpSink(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<SmtpSink> StartAsync(int? port = null)
    {
        var chosen = port ?? FreePort();
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-u", "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{chosen}" }) start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{Python} did not start.");
        var sink = new SmtpSink(process, chosen);
        var errors = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (sink._output) sink._output.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.Append(e.Data).Append('\n'); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, chosen);
                return sink;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                await sink.DisposeAsync();
                string stderr;
                lock (errors) stderr = errors.ToString();
                throw new InvalidOperationException($"aiosmtpd did not listen on 127.0.0.1:{chosen} (is Debian's python3-aiosmtpd installed?): {stderr}");
            }
        }
    }

    /// <summary>Waits for a received message (headers and raw body, as aiosmtpd prints it) that matches.</summary>
    public async Task<string> WaitForMessageAsync(Func<string, bool> match)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            string output;
            lock (_output) output = _output.ToString();
            foreach (var part in output.Split("---------- MESSAGE FOLLOWS ----------").Skip(1))
            {
                var end = part.IndexOf("------------ END MESSAGE ------------", StringComparison.Ordinal);
                if (end >= 0 && match(part[..end])) return part[..end];
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("The SMTP server received no matching message in 20 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>The text body of a printed message (System.Net.Mail sends it base64-encoded UTF-8).</summary>
    public static string DecodeBody(string message)
    {
        var lines = message.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blank = Array.FindIndex(lines, 1, string.IsNullOrEmpty);
        Assert.Contains(lines[..blank], l => l.Equals("Content-Transfer-Encoding: base64", StringComparison.OrdinalIgnoreCase));
        var base64 = string.Concat(lines[(blank + 1)..].Select(l => l.Trim()));
        return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
