using System.Net.Sockets;
using System.Text;
using Carevault.Mllp;

namespace Carevault.Api.Tests.Ingestion;

/// <summary>One message over a bare MLLP connection to the server's listener, for what a real client would not send.</summary>
static class MllpSocket
{
    /// <summary>The reply, without its MLLP framing.</summary>
    public static async Task<string> ExchangeAsync(int port, string message)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(MllpFraming.Frame(Encoding.UTF8.GetBytes(message)));
        var buffer = new byte[4096];
        var received = new List<byte>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!received.Contains(MllpFraming.EndBlock))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) break;
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }
        return Encoding.UTF8.GetString([.. received]).Trim('\v', '\x1c', '\r');
    }
}
