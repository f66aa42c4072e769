using System.Globalization;
using System.Security.Cryptography;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.DataProtection;

namespace Carevault.Portal.Clinical;

/// <summary>
/// Which patient's chart a doctor has open, carried in the chart's forms instead of the URL (decision 0020): the
/// Patient id sealed with ASP.NET Core data protection (authenticated encryption, the key ring anti-forgery already
/// uses), bound to the tenant and the signed-in user, and expiring after <see cref="Lifetime"/>. Another user, another
/// tenant, an edited or an old token all open nothing.
/// </summary>
public sealed class ChartSelection(IDataProtectionProvider protection, TimeProvider clock)
{
    /// <summary>How long a chart stays open without choosing the patient again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    const string Purpose = "Carevault.Portal.Clinical.ChartSelection.v1";

    readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    /// <summary>The sealed selection of <paramref name="patientId"/> for this caller.</summary>
    public string Seal(CallerContext caller, string patientId)
    {
        var expires = clock.GetUtcNow().Add(Lifetime).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return _protector.Protect(string.Join('\n', caller.TenantId, caller.Subject, patientId, expires));
    }

    /// <summary>The Patient id the token selects for this caller, or null when it is not theirs, altered or expired.</summary>
    public string? Open(CallerContext caller, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 2048) return null;
        string plain;
        try
        {
            plain = _protector.Unprotect(token);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            // Altered, sealed by another key ring, or not base64url at all.
            return null;
        }
        if (plain.Split('\n') is not [var tenant, var user, var patientId, var expires]) return null;
        if (tenant != caller.TenantId || user != caller.Subject || patientId.Length == 0) return null;
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var until) || clock.GetUtcNow().ToUnixTimeMilliseconds() > until) return null;
        return patientId;
    }
}
