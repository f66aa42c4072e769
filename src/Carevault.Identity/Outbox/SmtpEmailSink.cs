using System.Net;
using System.Net.Mail;
using System.Text;

namespace Carevault.Identity.Outbox;

/// <summary>
/// Delivery through an SMTP relay with System.Net.Mail (one client per message: SmtpClient is not thread-safe).
/// Failures become codes (<c>smtp_MailboxBusy</c>, <c>smtp_GeneralFailure</c> for an unreachable server): the
/// server's reply text can quote the recipient and is not kept.
/// </summary>
public sealed class SmtpEmailSink(EmailOptions options) : IEmailSink
{
    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        MailMessage mail;
        try
        {
            mail = new MailMessage(new MailAddress(message.From), new MailAddress(message.Recipient))
            {
                Subject = message.Subject,
                SubjectEncoding = Encoding.UTF8,
                Body = message.Body.ReplaceLineEndings("\r\n"), // RFC 5322 §2.3: lines end in CRLF
                BodyEncoding = Encoding.UTF8,
                // Base64: 7-bit safe through any relay, and one predictable encoding whatever the body holds.
                BodyTransferEncoding = System.Net.Mime.TransferEncoding.Base64,
                IsBodyHtml = false,
            };
        }
        catch (FormatException e)
        {
            throw new EmailDeliveryException("invalid_address", "The sender or recipient is not an email address.", e, permanent: true);
        }
        using (mail)
        using (var client = new SmtpClient(options.SmtpHost!, options.SmtpPort)
        {
            EnableSsl = options.SmtpEnableSsl,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            UseDefaultCredentials = false,
            Timeout = (int)options.SmtpTimeout.TotalMilliseconds,
        })
        {
            if (options.SmtpUsername is not null) client.Credentials = new NetworkCredential(options.SmtpUsername, options.SmtpPassword);
            mail.Headers["Message-ID"] = $"<{message.Id}@carevault>";
            try
            {
                await client.SendMailAsync(mail, ct);
            }
            catch (SmtpFailedRecipientException e)
            {
                throw new EmailDeliveryException("smtp_recipient_" + e.StatusCode, "The SMTP server refused the recipient.", e,
                    permanent: e.StatusCode is SmtpStatusCode.MailboxUnavailable or SmtpStatusCode.MailboxNameNotAllowed);
            }
            catch (SmtpException e)
            {
                throw new EmailDeliveryException("smtp_" + e.StatusCode, "The SMTP server did not accept the message.", e);
            }
        }
    }
}
