using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Carevault.Ingestion.Scanning;

/// <summary>What clamd said about a stream.</summary>
public enum ClamAvVerdictKind { Clean, Infected, Error }

/// <param name="Signature">For <see cref="ClamAvVerdictKind.Infected"/>, the signature's name (never file content).</param>
public sealed record ClamAvVerdict(ClamAvVerdictKind Kind, string? Signature = null);

/// <summary>
/// A client of clamd's INSTREAM command (clamd(8), "INSTREAM"): the file goes as chunks of a 4-byte big-endian
/// length and the bytes, ended by a zero length; the answer is <c>stream: OK</c> or <c>stream: NAME FOUND</c>.
/// Endpoints: <c>tcp://host:port</c> or <c>unix:/path/to/clamd.sock</c>.
/// </summary>
public sealed class ClamAvClient(string endpoint, TimeSpan timeout)
{
    /// <summary>Opens a scan session; feed it the file as it streams by.</summary>
    public async Task<ClamAvSession> StartAsync(CancellationToken ct)
    {
        var (address, kind) = Parse(endpoint);
        var socket = kind == AddressFamily.Unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connectTimeout.CancelAfter(timeout);
            await socket.ConnectAsync(address, connectTimeout.Token);
            var stream = new NetworkStream(socket, ownsSocket: true);
            await stream.WriteAsync("zINSTREAM\0"u8.ToArray(), ct);
            return new ClamAvSession(stream, timeout);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    static (System.Net.EndPoint Address, AddressFamily Kind) Parse(string endpoint)
    {
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = endpoint["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            return (new UnixDomainSocketEndPoint(path), AddressFamily.Unix);
        }
        if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme == "tcp" && uri.Port > 0)
            return (new System.Net.DnsEndPoint(uri.Host, uri.Port), AddressFamily.InterNetwork);
        throw new InvalidOperationException("Scanning:ClamAv:Endpoint must be tcp://host:port or unix:/path/to/clamd.sock.");
    }
}

/// <summary>One INSTREAM scan in progress.</summary>
public sealed class ClamAvSession(NetworkStream stream, TimeSpan timeout) : IAsyncDisposable
{
    bool _broken;

    /// <summary>Sends one chunk. clamd closes the connection when its StreamMaxLength is exceeded; the verdict says so.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> chunk, CancellationToken ct)
    {
        if (_broken || chunk.IsEmpty) return;
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)chunk.Length);
        try
        {
            await stream.WriteAsync(length, ct);
            await stream.WriteAsync(chunk, ct);
        }
        catch (IOException)
        {
            _broken = true; // clamd stopped reading: its reply (read in FinishAsync) says why
        }
    }

    /// <summary>Ends the stream and reads clamd's answer.</summary>
    public async Task<ClamAvVerdict> FinishAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            if (!_broken) await stream.WriteAsync(new byte[4], deadline.Token);
        }
        catch (IOException)
        {
            _broken = true;
        }
        var reply = new MemoryStream();
        var buffer = new byte[256];
        try
        {
            while (reply.Length < 4096)
            {
                var n = await stream.ReadAsync(buffer, deadline.Token);
                if (n == 0) break;
                var zero = Array.IndexOf(buffer, (byte)0, 0, n);
                reply.Write(buffer, 0, zero < 0 ? n : zero);
                if (zero >= 0) break;
            }
        }
        catch (IOException)
        {
            return new ClamAvVerdict(ClamAvVerdictKind.Error);
        }
        return Interpret(Encoding.ASCII.GetString(reply.GetBuffer(), 0, (int)reply.Length).Trim());
    }

    internal static ClamAvVerdict Interpret(string reply)
    {
        // "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
        var text = reply.StartsWith("stream: ", StringComparison.Ordinal) ? reply["stream: ".Length..] : reply;
        if (text == "OK") return new ClamAvVerdict(ClamAvVerdictKind.Clean);
        if (text.EndsWith(" FOUND", StringComparison.Ordinal)) return new ClamAvVerdict(ClamAvVerdictKind.Infected, text[..^" FOUND".Length]);
        return new ClamAvVerdict(ClamAvVerdictKind.Error);
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();
}
