namespace Carevault.Identity.Outbox;

/// <summary>A message on its way out: the outbox id (the only thing logged) and the envelope.</summary>
public sealed record EmailMessage(string Id, string From, string Recipient, string Subject, string Body, DateTimeOffset CreatedAt);

/// <summary>
/// Where outbox mail is delivered: <see cref="FileEmailSink"/> in development, <see cref="SmtpEmailSink"/> when
/// <c>Email:Smtp:Host</c> is set. Throws on failure (<see cref="EmailDeliveryException"/> for known causes); the
/// sender retries with backoff.
/// </summary>
public interface IEmailSink
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}

/// <summary>
/// A delivery failure with a short, content-free code for <c>outbox_messages.last_error</c> and the logs (server
/// replies can quote the recipient, so their text is never kept). Permanent failures are not retried.
/// </summary>
public sealed class EmailDeliveryException : Exception
{
    public EmailDeliveryException(string code, string message, Exception? inner = null, bool permanent = false) : base(message, inner)
    {
        Code = code;
        Permanent = permanent;
    }

    public EmailDeliveryException(string code, string message, bool permanent) : this(code, message, null, permanent) { }

    public string Code { get; }

    public bool Permanent { get; }
}
