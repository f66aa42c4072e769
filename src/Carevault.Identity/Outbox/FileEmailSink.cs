using System.Globalization;
using System.Text;

namespace Carevault.Identity.Outbox;

/// <summary>
/// Development delivery: each message becomes <c>{DataDirectory}/outbox/{id}.eml</c> (RFC 5322, UTF-8), readable by
/// the server's user alone since it holds reset links. Written to a temporary name and renamed, so a reader never
/// sees half a message; a retry overwrites the same file.
/// </summary>
public sealed class FileEmailSink(EmailOptions options) : IEmailSink
{
    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var directory = options.FileDirectory;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
            else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var path = Path.Combine(directory, message.Id + ".eml");
        var temporary = path + ".tmp";
        var file = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(temporary, file))
        {
            await stream.WriteAsync(Format(message), ct);
            await stream.FlushAsync(ct);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The message as RFC 5322 text: a plain-text UTF-8 body, 8bit, CRLF line ends.</summary>
    public static byte[] Format(EmailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = new StringBuilder();
        text.Append("From: ").Append(Header(message.From)).Append("\r\n");
        text.Append("To: ").Append(Header(message.Recipient)).Append("\r\n");
        text.Append("Subject: ").Append(EncodeWord(Header(message.Subject))).Append("\r\n");
        text.Append("Date: ").Append(message.CreatedAt.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n");
        text.Append("Message-ID: <").Append(message.Id).Append("@carevault>\r\n");
        text.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        text.Append(message.Body.ReplaceLineEndings("\r\n"));
        if (!message.Body.EndsWith('\n')) text.Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Refuses line breaks in header values (header injection).</summary>
    static string Header(string value) =>
        value.AsSpan().IndexOfAny('\r', '\n') >= 0 ? throw new EmailDeliveryException("invalid_header", "A header value contains a line break.", permanent: true) : value;

    // RFC 2047 encoded word for non-ASCII subjects.
    static string EncodeWord(string value) =>
        Ascii.IsValid(value) ? value : "=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + "?=";
}
