using System.Globalization;
using Carevault.Hl7v2;
using Carevault.Identity.Clients;
using Carevault.Identity.Tenants;
using Carevault.Ingestion.Intake;
using Carevault.Mllp;
using Microsoft.Extensions.Configuration;

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
/// original and job are durable; unparseable input is rejected (AR) and never stored; a refusal or an outage answers
/// AE, so the sender keeps the message and retries. The sender's message control id (MSH-10) is the idempotency key,
/// so a resend after a lost ACK finds the same job instead of making a second.
/// </summary>
internal sealed class MllpIntake(ReportIntake intake, ClientStore clients, MllpIntakeOptions options, TimeProvider clock)
{
    public async Task<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        var parsed = Hl7v2Parser.Parse(bytes);
        if (!parsed.IsSuccess) return MllpAcknowledgements.Reject(parsed.Error!, clock.GetUtcNow());
        var client = await clients.FindActiveAsync(options.ClientId, ct)
            ?? throw new InvalidOperationException("The configured MLLP client is not active.");
        var caller = new CallerContext(client.TenantId, client.Id, "client", client.Scopes);
        var message = parsed.Value!;
        var key = message.ControlId.Length > 0 ? "mllp:" + message.ControlId : null;
        using var content = new MemoryStream(bytes.ToArray(), writable: false);
        var result = await intake.SubmitAsync(caller, "application/hl7-v2", content, ReportMetadata.None, key, ct);
        if (result.Error is { } error) throw new InvalidOperationException($"The intake refused the message: {error.Code}.");
        return MllpAcknowledgements.Accept(message, clock.GetUtcNow());
    }
}
