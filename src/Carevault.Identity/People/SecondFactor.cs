using System.Data.Common;
using System.Security.Cryptography;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Dapper;

namespace Carevault.Identity.People;

/// <summary>What enrolment hands the person: the secret for manual entry and the URI for a QR code.</summary>
public sealed record TotpEnrolment(string Secret, string OtpauthUri);

/// <summary>
/// The optional TOTP second factor (RFC 6238, see <see cref="Totp"/>): enrolment and the check at sign-in.
/// Secrets are 160 bits (RFC 4226 §4 recommends it), sealed with the master key. A new secret waits in
/// <c>totp_pending_secret</c> until a code from it is confirmed, so a half-finished enrolment never locks anyone out.
/// The last accepted time step is stored per user and moved with a compare-and-set, so a code works once even when
/// two requests race with it.
/// </summary>
public sealed class SecondFactor(Db db, MasterKeys masterKeys, TimeProvider clock)
{
    public const string Issuer = "Carevault";

    sealed record FactorRow(byte[]? Secret, byte[]? Pending, long LastStep);

    /// <summary>Starts (or restarts) enrolment; null when the factor is already enabled or the user is unknown.</summary>
    public async Task<TotpEnrolment?> SetupAsync(string tenantId, string userId, string username, CancellationToken ct)
    {
        var secret = RandomNumberGenerator.GetBytes(20);
        var sealedSecret = await masterKeys.SealAsync(secret, ct);
        var updated = await db.ExecuteAsync(
            "UPDATE users SET totp_pending_secret = @sealedSecret WHERE tenant_id = @tenantId AND id = @userId AND totp_secret IS NULL",
            new { sealedSecret, tenantId, userId }, ct);
        if (updated == 0) return null;
        var encoded = Base32.Encode(secret);
        CryptographicOperations.ZeroMemory(secret);
        // Key URI format (github.com/google/google-authenticator/wiki/Key-Uri-Format): label "issuer:account".
        var label = Uri.EscapeDataString($"{Issuer}:{username}@{tenantId}");
        var uri = $"otpauth://totp/{label}?secret={encoded}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits={Totp.DefaultDigits}&period={Totp.DefaultStepSeconds}";
        return new TotpEnrolment(encoded, uri);
    }

    /// <summary>Enables the pending secret when <paramref name="code"/> comes from it. False otherwise.</summary>
    public async Task<bool> ConfirmAsync(string tenantId, string userId, string code, CancellationToken ct)
    {
        FactorRow? row;
        await using (var connection = await db.OpenAsync(ct))
        {
            row = await connection.QuerySingleOrDefaultAsync<FactorRow>(new CommandDefinition(
                "SELECT totp_secret AS Secret, totp_pending_secret AS Pending, totp_last_step AS LastStep FROM users WHERE tenant_id = @tenantId AND id = @userId",
                new { tenantId, userId }, cancellationToken: ct));
        }
        if (row is not { Secret: null, Pending: { } pending }) return false;
        var secret = await masterKeys.UnsealAsync(pending, ct);
        var step = Totp.Verify(secret, code, clock.GetUtcNow(), row.LastStep);
        CryptographicOperations.ZeroMemory(secret);
        if (step is null) return false;
        return await db.ExecuteAsync("""
            UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = @step
            WHERE tenant_id = @tenantId AND id = @userId AND totp_secret IS NULL AND totp_pending_secret = @pending AND totp_last_step < @step
            """, new { step, tenantId, userId, pending }, ct) == 1;
    }

    /// <summary>
    /// The sign-in check for a user with the factor enabled: true when <paramref name="code"/> is current and unused,
    /// in which case its step is recorded. A missing code is simply a wrong one.
    /// </summary>
    public async Task<bool> VerifyAsync(string userId, byte[] sealedSecret, long lastUsedStep, string? code, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(code)) return false;
        var secret = await masterKeys.UnsealAsync(sealedSecret, ct);
        var step = Totp.Verify(secret, code, clock.GetUtcNow(), lastUsedStep);
        CryptographicOperations.ZeroMemory(secret);
        if (step is null) return false;
        return await db.ExecuteAsync("UPDATE users SET totp_last_step = @step WHERE id = @userId AND totp_last_step < @step", new { step, userId }, ct) == 1;
    }
}
