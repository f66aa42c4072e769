using System.Globalization;
using Carevault.Hl7v2;
using Carevault.Hl7v2.Acknowledgements;
using Carevault.Identity.Auditing;
using Carevault.Identity.Clients;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Intake;
using Carevault.Mllp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carevault.Ingestion.Mllp;

/// <summary>
/// The <c>Mllp</c> configuration section: the listener is on when <c>Mllp:Port</c> is set, and every message it
/// receives is submitted as the hospital client <c>Mllp:ClientId</c> (its tenant and scopes, checked per message so a
/// revoked client stops at once).
/// </summary>
public sealed record MllpIntakeOptions(MllpOptions Listener, string ClientId)
{
    /// <summary>Null when the listener is off; throws <see cref="InvalidOperationException"/> naming a bad key.</summary>
    public static MllpIntakeOptions? From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Mllp");
        if (string.IsNullOrWhiteSpace(section["Port"])) return null;
        if (!int.TryParse(section["Port"], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65_535)
            throw new InvalidOperationException("Mllp:Port must be a port number (0 picks a free one).");
        if (string.IsNullOrWhiteSpace(section["ClientId"]))
            throw new InvalidOperationException("Mllp:ClientId must name the hospital client whose tenant and scopes MLLP messages carry.");
        return new MllpIntakeOptions(new MllpOptions
        {
            BindAddress = section["BindAddress"] is { Length: > 0 } bind ? bind : "127.0.0.1",
            Port = port,
            CertificatePath = section["CertificatePath"] is { Length: > 0 } cert ? cert : null,
            CertificateKeyPath = section["CertificateKeyPath"] is { Length: > 0 } key ? key : null,
            CertificatePassword = section["CertificatePassword"] is { Length: > 0 } password ? password : null,
        }, section["ClientId"]!);
    }
}

/// <summary>
/// HL7 v2 over MLLP into the same intake as <c>POST /api/reports</c>: a message is acknowledged (AA) only once its
/// original and job are durable. Permanent refusals answer AR and store nothing — input that does not parse, a message
/// type the mapping does not take (ERR-3 200/201), an intake refusal that a resend cannot change (too large, content
/// mismatch, malware, an MSH-10 reused for other bytes). Transient ones (scanner without a verdict, the configured
/// client inactive or without rights, an outage) answer AE, so the sender keeps the message and retries. The sender's
/// message control id (MSH-10) is the idempotency key, so a resend after a lost ACK finds the same job instead of making a second.
/// Each message the configured client submitted is in the audit trail (an <c>upload</c> by that client, with its job,
/// or the refusal) before it is acknowledged; a trail that cannot record answers AE, and the resend finds the same job.
/// </summary>
internal sealed class MllpIntake(ReportIntake intake, ClientStore clients, MllpIntakeOptions options, IAuditLog audit, TimeProvider clock)
{
    /// <summary>The service that runs the listener when <c>Mllp:Port</c> is configured (read at start, like the host's other settings).</summary>
    internal sealed class Service(IConfiguration configuration, ReportIntake intake, ClientStore clients, IAuditLog audit, TimeProvider clock, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
    {
        MllpListener? _listener;

        /// <summary>The bound endpoint; null when the listener is off or not started.</summary>
        public System.Net.IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (MllpIntakeOptions.From(configuration) is not { } options) return Task.CompletedTask;
            var handler = new MllpIntake(intake, clients, options, audit, clock);
            _listener = new MllpListener(options.Listener, handler.HandleAsync, loggers.CreateLogger<MllpListener>(), clock);
            return _listener.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => _listener?.StopAsync(cancellationToken) ?? Task.CompletedTask;

        public ValueTask DisposeAsync() => _listener?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    public async Task<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> bytes, System.Net.EndPoint? sender, CancellationToken ct)
    {
        var source = sender is System.Net.IPEndPoint ip ? ip.Address.ToString() : "mllp";
        var client = await clients.FindActiveAsync(options.ClientId, ct)
            ?? throw new InvalidOperationException("The configured MLLP client is not active.");
        var actor = new AuditActor(client.TenantId, client.Id, "client");
        var parsed = Hl7v2Parser.Parse(bytes);
        if (!parsed.IsSuccess)
        {
            await audit.RecordAsync(new AuditEntry(actor, AuditAction.Upload, 400, source, "mllp", [], "refused: not HL7 v2"), ct);
            return MllpAcknowledgements.Reject(parsed.Error!, clock.GetUtcNow());
        }
        var message = parsed.Value!;
        if (Unsupported(message) is { } unsupported)
        {
            await audit.RecordAsync(new AuditEntry(actor, AuditAction.Upload, 415, source, "mllp", [], "refused: unsupported message type"), ct);
            return MllpAcknowledgements.Reject(message, unsupported, clock.GetUtcNow());
        }
        var caller = new CallerContext(client.TenantId, client.Id, "client", client.Scopes);
        var key = message.ControlId.Length > 0 ? "mllp:" + message.ControlId : null;
        using var content = new MemoryStream(bytes.ToArray(), writable: false);
        var result = await intake.SubmitAsync(caller, "application/hl7-v2", content, ReportMetadata.None, key, ct);
        if (result.Error is { } error)
        {
            // Permanent refusals are AR (the same message can never be accepted); the rest — a scanner without a verdict,
            // a client without the right — throws, and the listener answers AE so the sender keeps the message.
            var permanent = IsPermanent(error.Kind);
            await audit.RecordAsync(new AuditEntry(actor, AuditAction.Upload, permanent ? 422 : 503, source, "mllp", [], "refused: " + error.Code), ct);
            if (permanent) return MllpAcknowledgements.Reject(message, new Hl7AckError { Code = Hl7AckErrorCode.ApplicationInternalError, Text = $"Refused ({error.Code}): {error.Message}" }, clock.GetUtcNow());
            throw new InvalidOperationException($"The intake refused the message: {error.Code}.");
        }
        await audit.RecordAsync(new AuditEntry(actor, AuditAction.Upload, result.Replayed ? 200 : 202, source, "mllp", [$"Job/{result.Job!.Id}"]), ct);
        return MllpAcknowledgements.Accept(message, clock.GetUtcNow());
    }

    /// <summary>The message types the HL7 v2 mapping handles (Carevault.Ingestion.Mapping, Hl7v2ReportMapper); others are refused at once.</summary>
    static Hl7AckError? Unsupported(Hl7Message message) => (message.MessageCode, message.TriggerEvent) switch
    {
        ("ORU", "R01") or ("ADT", "A01" or "A04" or "A08") or ("MDM", "T02") => null,
        ("ORU" or "ADT" or "MDM", _) => new Hl7AckError { Code = Hl7AckErrorCode.UnsupportedEventCode, Text = "This interface takes ORU^R01, ADT^A01/A04/A08 and MDM^T02 (MSH-9.2).", SegmentId = "MSH", SegmentSequence = 1, FieldPosition = 9 },
        _ => new Hl7AckError { Code = Hl7AckErrorCode.UnsupportedMessageType, Text = "This interface takes ORU^R01, ADT^A01/A04/A08 and MDM^T02 (MSH-9.1).", SegmentId = "MSH", SegmentSequence = 1, FieldPosition = 9 },
    };

    static bool IsPermanent(IntakeErrorKind kind) => kind is IntakeErrorKind.Validation or IntakeErrorKind.TooLarge or IntakeErrorKind.UnsupportedMediaType
        or IntakeErrorKind.ContentMismatch or IntakeErrorKind.Malware or IntakeErrorKind.Conflict;
}
