using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Mllp;

/// <summary>
/// Receives HL7 v2 over MLLP (TCP, optionally TLS): each frame goes to the handler, whose returned bytes (an ACK
/// or NAK) are sent back framed. The handler must return only once the message is durably queued — the sender
/// treats the ACK as "you have it". Frames beyond <see cref="MllpOptions.MaxMessageBytes"/> get an AR and the
/// connection is closed; a handler that throws makes the listener answer AE (retry later) and keep the connection;
/// idle connections are closed after <see cref="MllpOptions.IdleTimeout"/>; at most
/// <see cref="MllpOptions.MaxConnections"/> connections are served, others are closed on accept.
/// </summary>
/// <remarks>
/// Structural considerations: one task per connection, messages on a connection handled strictly in order (MLLP is
/// a request/response protocol: the sender waits for the ACK before the next message). Logs carry the remote
/// endpoint, sizes and outcomes — never message content.
/// </remarks>
public sealed class MllpListener : IHostedService, IAsyncDisposable
{
    private readonly MllpOptions _options;
    private readonly Func<ReadOnlyMemory<byte>, EndPoint?, CancellationToken, Task<ReadOnlyMemory<byte>>> _handler;
    private readonly ILogger<MllpListener> _logger;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _connectionsLock = new();
    private X509Certificate2? _certificate;
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private int _disposed;

    /// <summary>Creates a listener; <see cref="StartAsync"/> binds it.</summary>
    public MllpListener(
        MllpOptions options,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> handler,
        ILogger<MllpListener> logger,
        TimeProvider? clock = null)
        : this(options, handler is null ? null! : (message, _, ct) => handler(message, ct), logger, clock)
    {
    }

    /// <summary>As above, for a handler that also needs the sender's address (e.g. to record where a message came from).</summary>
    public MllpListener(
        MllpOptions options,
        Func<ReadOnlyMemory<byte>, EndPoint?, CancellationToken, Task<ReadOnlyMemory<byte>>> handler,
        ILogger<MllpListener> logger,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 1);
        _options = options;
        _handler = handler;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
    }

    /// <summary>The bound endpoint (the real port when <see cref="MllpOptions.Port"/> is 0); null before start.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndpoint as IPEndPoint;

    /// <summary>Connections being served now.</summary>
    public int ActiveConnections => _options.MaxConnections - _slots.CurrentCount;

    /// <summary>Loads the certificate (when configured), binds and starts accepting.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The MLLP listener is already started.");
        }

        _certificate = LoadCertificate(_options);
        var listener = new TcpListener(IPAddress.Parse(_options.BindAddress), _options.Port);
        listener.Start();
        _listener = listener;
        _logger.LogInformation("MLLP listener on {Endpoint} ({Transport})", listener.LocalEndpoint, _certificate is null ? "TCP" : "TLS");
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, closes connections, waits for in-flight handlers (bounded by <paramref name="cancellationToken"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] pending;
        lock (_connectionsLock)
        {
            pending = [.. _connections];
        }

        try
        {
            await Task.WhenAll([_acceptLoop ?? Task.CompletedTask, .. pending]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("MLLP listener stopped before {Count} connection(s) finished", pending.Length);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // Idempotent: a host may dispose its services more than once (the test host does).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _slots.Dispose();
        _certificate?.Dispose();
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning("MLLP accept failed: {SocketError}", ex.SocketErrorCode);
                continue;
            }

            if (!_slots.Wait(0, CancellationToken.None))
            {
                _logger.LogWarning("MLLP connection from {Remote} refused: {Max} connections already open", client.Client.RemoteEndPoint, _options.MaxConnections);
                client.Dispose();
                continue;
            }

            Task connection = ServeAsync(client, stopping);
            lock (_connectionsLock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        await Task.Yield();
        EndPoint? remote = client.Client.RemoteEndPoint;
        int messages = 0;
        try
        {
            using (client)
            {
                client.NoDelay = true;
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    handshake.CancelAfter(_options.HandshakeTimeout);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, handshake.Token).ConfigureAwait(false);
                    stream = tls;
                }

                await using (stream.ConfigureAwait(false))
                {
                    using var reader = new MllpFrameReader(stream, _options.MaxMessageBytes);
                    messages = await ConverseAsync(reader, stream, remote, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            _logger.LogInformation("MLLP connection from {Remote} ended: {Reason}", remote, ex.GetType().Name);
        }
#pragma warning disable CA1031 // one broken connection must neither fault the listener nor go unobserved
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError("MLLP connection from {Remote} failed: {Reason}", remote, ex.GetType().Name);
        }
        finally
        {
            _slots.Release();
            _logger.LogDebug("MLLP connection from {Remote} closed after {Messages} message(s)", remote, messages);
        }
    }

    private async Task<int> ConverseAsync(MllpFrameReader reader, Stream stream, EndPoint? remote, CancellationToken stopping)
    {
        int messages = 0;
        while (true)
        {
            MllpReadResult read;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                idle.CancelAfter(_options.IdleTimeout);
                try
                {
                    read = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    _logger.LogInformation("MLLP connection from {Remote} idle for {Timeout}: closed", remote, _options.IdleTimeout);
                    return messages;
                }
            }

            if (read.SkippedBytes > 0)
            {
                _logger.LogWarning("MLLP connection from {Remote}: {Bytes} byte(s) outside any frame skipped", remote, read.SkippedBytes);
            }

            switch (read.Status)
            {
                case MllpReadStatus.EndOfStream:
                    return messages;
                case MllpReadStatus.TooLarge:
                    _logger.LogWarning("MLLP connection from {Remote}: frame beyond {Max} bytes, rejected and closed", remote, _options.MaxMessageBytes);
                    await WriteFrameAsync(stream, MllpAcknowledgements.TooLarge(_options.MaxMessageBytes, _clock.GetUtcNow()), stopping).ConfigureAwait(false);
                    return messages;
            }

            messages++;
            ReadOnlyMemory<byte> reply;
            try
            {
                reply = await _handler(read.Message, remote, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // a failing handler must turn into an AE for the sender, not a dropped connection
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogError("MLLP handler failed for a {Bytes}-byte message from {Remote}: {Error}", read.Message.Length, remote, ex.GetType().Name);
                reply = MllpAcknowledgements.Error(read.Message, _clock.GetUtcNow());
            }

            await WriteFrameAsync(stream, reply, stopping).ConfigureAwait(false);
        }
    }

    private static async Task WriteFrameAsync(Stream stream, ReadOnlyMemory<byte> reply, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(MllpFraming.Frame(reply.Span), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static X509Certificate2? LoadCertificate(MllpOptions options)
    {
        if (string.IsNullOrEmpty(options.CertificatePath))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(options.CertificateKeyPath))
        {
            return X509Certificate2.CreateFromPemFile(options.CertificatePath, options.CertificateKeyPath);
        }

        return options.CertificatePath.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || options.CertificatePath.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)
            ? X509Certificate2.CreateFromPemFile(options.CertificatePath)
            : X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
    }
}
