using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carevault.Hl7v2;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carevault.Mllp.Tests;

public sealed class MllpListenerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly ConcurrentQueue<string> _queued = new();
    private MllpListener? _listener;

    internal static string Oru(string controlId) =>
        $"MSH|^~\\&|LAB|HOSP|CV|CV|20240305081500+0100||ORU^R01^ORU_R01|{controlId}|P|2.5.1\rPID|1||P-1^^^HOSP&1.2.3&ISO^MR\rOBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F\r";

    private async Task<MllpListener> StartAsync(MllpOptions? options = null, Func<Hl7Message, CancellationToken, Task>? enqueue = null)
    {
        _listener = new MllpListener(
            (options ?? new MllpOptions()) with { Port = 0 },
            MllpHandlers.AcknowledgeAfter(enqueue ?? ((m, _) => { _queued.Enqueue(m.ControlId); return Task.CompletedTask; })),
            NullLogger<MllpListener>.Instance);
        await _listener.StartAsync(CancellationToken.None);
        return _listener;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }

    private static async Task<(TcpClient Client, Stream Stream)> ConnectAsync(MllpListener listener)
    {
        var client = new TcpClient();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, client.GetStream());
    }

    private static async Task<Hl7Message> ReadAckAsync(MllpFrameReader reader)
    {
        using var timeout = new CancellationTokenSource(Patience);
        MllpReadResult result = await reader.ReadAsync(timeout.Token);
        Assert.Equal(MllpReadStatus.Message, result.Status);
        Hl7Result<Hl7Message> ack = Hl7v2Parser.Parse(result.Message.ToArray());
        Assert.True(ack.IsSuccess, ack.Error?.Message);
        return ack.Value!;
    }

    private static async Task AssertClosedAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64];
        int read;
        try
        {
            read = await stream.ReadAsync(buffer, timeout.Token);
        }
        catch (IOException)
        {
            read = 0; // reset by the server: closed as well
        }

        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Listener_TwoFramesInOneWrite_AcknowledgesEachAfterQueueing()
    {
        MllpListener listener = await StartAsync();
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await stream.WriteAsync((byte[])[.. MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("C-1"))), .. MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("C-2")))]);
            using var reader = new MllpFrameReader(stream, 1 << 20);

            Hl7Message first = await ReadAckAsync(reader);
            Hl7Message second = await ReadAckAsync(reader);

            Assert.Equal("ACK", first.MessageCode);
            Assert.Equal("AA", first.Get("MSA", 1));
            Assert.Equal("C-1", first.Get("MSA", 2));
            Assert.Equal("AA", second.Get("MSA", 1));
            Assert.Equal("C-2", second.Get("MSA", 2));
            Assert.Equal("CV", first.Get("MSH", 3)); // sender and receiver swapped
            Assert.Equal(["C-1", "C-2"], _queued);
        }
    }

    [Fact]
    public async Task Listener_GarbageBeforeStartBlock_StillAcknowledgesTheMessage()
    {
        MllpListener listener = await StartAsync();
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await stream.WriteAsync((byte[])[.. "\r\n\r\nGARBAGE"u8, .. MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("G-1")))]);
            using var reader = new MllpFrameReader(stream, 1 << 20);

            Hl7Message ack = await ReadAckAsync(reader);

            Assert.Equal("AA", ack.Get("MSA", 1));
            Assert.Equal("G-1", ack.Get("MSA", 2));
        }
    }

    [Fact]
    public async Task Listener_FrameBeyondLimit_AnswersRejectAndClosesWithoutQueueing()
    {
        MllpListener listener = await StartAsync(new MllpOptions { MaxMessageBytes = 1024 });
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            string big = Oru("BIG") + "NTE|1||" + new string('x', 4000) + "\r";
            await stream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(big)));
            using var reader = new MllpFrameReader(stream, 1 << 20);

            Hl7Message nak = await ReadAckAsync(reader);

            Assert.Equal("AR", nak.Get("MSA", 1));
            Assert.Contains("1024-byte limit", nak.Get("ERR", 8), StringComparison.Ordinal);
            await AssertClosedAsync(stream);
            Assert.Empty(_queued);
        }
    }

    [Fact]
    public async Task Listener_UnparseableMessage_AnswersRejectAndKeepsTheConnection()
    {
        MllpListener listener = await StartAsync();
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await stream.WriteAsync(MllpFraming.Frame("MSH|^~\\&|LAB|HOSP|CV|CV|20240101||||P|2.5.1\r"u8));
            await stream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("OK-1"))));
            using var reader = new MllpFrameReader(stream, 1 << 20);

            Hl7Message nak = await ReadAckAsync(reader);
            Hl7Message ack = await ReadAckAsync(reader);

            Assert.Equal("AR", nak.Get("MSA", 1));
            Assert.Equal("AA", ack.Get("MSA", 1));
            Assert.Equal(["OK-1"], _queued);
        }
    }

    [Fact]
    public async Task Listener_WhenQueueFails_AnswersApplicationErrorAndKeepsTheConnection()
    {
        int calls = 0;
        MllpListener listener = await StartAsync(enqueue: (m, _) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("database down") : Task.CompletedTask);
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await stream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("E-1"))));
            using var reader = new MllpFrameReader(stream, 1 << 20);
            Hl7Message error = await ReadAckAsync(reader);
            await stream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("E-1"))));
            Hl7Message retry = await ReadAckAsync(reader);

            Assert.Equal("AE", error.Get("MSA", 1));
            Assert.Equal("E-1", error.Get("MSA", 2));
            Assert.Equal("207", error.Get("ERR", 3));
            Assert.Equal("AA", retry.Get("MSA", 1));
        }
    }

    [Fact]
    public async Task Listener_IdleConnection_IsClosedAfterTimeout()
    {
        MllpListener listener = await StartAsync(new MllpOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await AssertClosedAsync(stream);
        }
    }

    [Fact]
    public async Task Listener_BeyondMaxConnections_ClosesTheExtraConnection()
    {
        MllpListener listener = await StartAsync(new MllpOptions { MaxConnections = 1 });
        (TcpClient first, Stream firstStream) = await ConnectAsync(listener);
        using (first)
        {
            // The first connection is being served (it answers), so its slot is taken.
            await firstStream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("M-1"))));
            using var reader = new MllpFrameReader(firstStream, 1 << 20);
            Assert.Equal("AA", (await ReadAckAsync(reader)).Get("MSA", 1));

            (TcpClient second, Stream secondStream) = await ConnectAsync(listener);
            using (second)
            {
                await AssertClosedAsync(secondStream);
            }

            await firstStream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("M-2"))));
            Assert.Equal("M-2", (await ReadAckAsync(reader)).Get("MSA", 2));
        }
    }

    [Fact]
    public async Task Listener_WithCertificate_SpeaksTls()
    {
        using TestCertificate certificate = TestCertificate.Create();
        MllpListener listener = await StartAsync(new MllpOptions { CertificatePath = certificate.PfxPath, CertificatePassword = TestCertificate.Password });
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await using var tls = new SslStream(stream, false, (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.Thumbprint);
            await tls.AuthenticateAsClientAsync("127.0.0.1");
            await tls.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("T-1"))));
            using var reader = new MllpFrameReader(tls, 1 << 20);

            Hl7Message ack = await ReadAckAsync(reader);

            Assert.Equal("AA", ack.Get("MSA", 1));
            Assert.Equal("T-1", ack.Get("MSA", 2));
        }
    }

    [Fact]
    public async Task Listener_WithCertificate_ClosesPlainTcpClients()
    {
        using TestCertificate certificate = TestCertificate.Create();
        MllpListener listener = await StartAsync(new MllpOptions { CertificatePath = certificate.PfxPath, CertificatePassword = TestCertificate.Password });
        (TcpClient client, Stream stream) = await ConnectAsync(listener);
        using (client)
        {
            await stream.WriteAsync(MllpFraming.Frame(Encoding.ASCII.GetBytes(Oru("P-1"))));

            await AssertClosedAsync(stream);
            Assert.Empty(_queued);
        }
    }

    /// <summary>A self-signed certificate for 127.0.0.1, written as PFX and PEM to a temp folder.</summary>
    internal sealed class TestCertificate : IDisposable
    {
        public const string Password = "test-only";
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "carevault-mllp-" + Guid.NewGuid().ToString("N"));

        private TestCertificate()
        {
        }

        public string PfxPath => Path.Combine(_folder, "server.pfx");

        public string CertificatePemPath => Path.Combine(_folder, "server.crt.pem");

        public string KeyPemPath => Path.Combine(_folder, "server.key.pem");

        public string Thumbprint { get; private set; } = "";

        public static TestCertificate Create()
        {
            var result = new TestCertificate();
            Directory.CreateDirectory(result._folder);
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=carevault-mllp-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllBytes(result.PfxPath, certificate.Export(X509ContentType.Pfx, Password));
            File.WriteAllText(result.CertificatePemPath, certificate.ExportCertificatePem());
            File.WriteAllText(result.KeyPemPath, key.ExportPkcs8PrivateKeyPem());
            result.Thumbprint = certificate.GetCertHashString();
            return result;
        }

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }
}
