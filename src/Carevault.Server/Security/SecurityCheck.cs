using System.Net;

namespace Carevault.Server.Security;

/// <summary>
/// <c>carevault security check</c>: reads the effective configuration (nothing is started, created or contacted) and
/// names the settings that are unsafe in production, each with its fix. Errors make the command exit 1.
/// </summary>
public static class SecurityCheck
{
    public enum Severity { Warning, Error }

    public sealed record Finding(Severity Severity, string Setting, string Problem, string Fix);

    public static IReadOnlyList<Finding> Run(IConfiguration configuration)
    {
        var findings = new List<Finding>();
        CheckMasterKey(configuration, findings);
        var urls = (configuration["Urls"] ?? "http://127.0.0.1:8080").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var exposed = false;
        foreach (var url in urls)
        {
            if (IsLoopback(url)) continue;
            exposed = true;
            if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                findings.Add(new(Severity.Error, "Urls", $"'{url}' serves plain HTTP on a non-loopback address: tokens and health data cross the network unencrypted.",
                    "Listen on https:// with a certificate (Kestrel:Certificates:Default:Path), or bind to 127.0.0.1 behind a TLS-terminating proxy."));
        }
        if (exposed && string.IsNullOrWhiteSpace(configuration["PublicUrl"]))
            findings.Add(new(Severity.Error, "PublicUrl", "Not set while listening beyond loopback: the token issuer and audience fall back to a listen address clients do not use.",
                "Set PublicUrl (CAREVAULT_PUBLICURL) to the https:// address clients use, the same on every instance."));
        var instances = configuration.GetValue("Deployment:Instances", 1);
        var provider = configuration["Database:Provider"] ?? "Sqlite";
        if (instances > 1 && provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
            findings.Add(new(Severity.Error, "Database:Provider", $"SQLite with Deployment:Instances={instances}: each instance would have its own database (or corrupt a shared file).",
                "Use PostgreSQL (CAREVAULT_DATABASE=postgres://…) for more than one instance."));
        if (HttpHardening.AllowedOrigins(configuration).Contains("*"))
            findings.Add(new(Severity.Error, "Cors:AllowedOrigins", "'*' lets any web page call the API with a signed-in user's credentials.",
                "List the origins of your own web apps (https://portal.example)."));
        if (!configuration.GetValue("RateLimits:Enabled", true))
            findings.Add(new(Severity.Warning, "RateLimits:Enabled", "Rate limiting is off: password and client-secret guessing are limited only by account lockout.",
                "Remove RateLimits:Enabled=false."));
        if (configuration.GetSection("Metrics:AllowedNetworks").Get<string[]>() is { } networks && networks.Any(n => n.EndsWith("/0", StringComparison.Ordinal))
            || (configuration["Metrics:AllowedNetworks"] ?? "").Contains("/0", StringComparison.Ordinal))
            findings.Add(new(Severity.Warning, "Metrics:AllowedNetworks", "/metrics is readable from any address: it reveals routes and load.",
                "Allow only the scraper's network (10.0.5.0/24)."));
        return findings;
    }

    static void CheckMasterKey(IConfiguration configuration, List<Finding> findings)
    {
        if (!string.IsNullOrWhiteSpace(configuration["Secrets:MasterKey"])) return;
        var dataDirectory = Path.GetFullPath(configuration["DataDirectory"] is { Length: > 0 } d ? d : "./data");
        var keyFile = Path.GetFullPath(configuration["Secrets:MasterKeyFile"] is { Length: > 0 } f ? f : Path.Combine(dataDirectory, "master.key"));
        if (keyFile.StartsWith(dataDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            findings.Add(new(Severity.Error, "Secrets:MasterKey", $"The master key is the development key file {keyFile}, kept beside the data it protects: a copy of the data directory is a copy of the key.",
                "Supply the key apart from the data: CAREVAULT_SECRETS__MASTERKEY_FILE=/run/secrets/carevault-master-key, and set Secrets:GenerateMasterKey=false."));
        else if (configuration.GetValue("Secrets:GenerateMasterKey", true))
            findings.Add(new(Severity.Warning, "Secrets:GenerateMasterKey", "A missing key file would be generated silently, and data sealed with a key nobody backed up.",
                "Set Secrets:GenerateMasterKey=false once the key is provisioned."));
    }

    /// <summary>Hosts that only this machine can reach; wildcards (*, +, 0.0.0.0, [::]) and names other than localhost are not.</summary>
    static bool IsLoopback(string url)
    {
        var normalized = url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri)) return false;
        if (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    public static int WriteTo(IReadOnlyList<Finding> findings, TextWriter output)
    {
        foreach (var finding in findings.OrderByDescending(f => f.Severity))
        {
            output.WriteLine($"{(finding.Severity == Severity.Error ? "error" : "warning")}: {finding.Setting}: {finding.Problem}");
            output.WriteLine($"  fix: {finding.Fix}");
        }
        var errors = findings.Count(f => f.Severity == Severity.Error);
        output.WriteLine(findings.Count == 0 ? "No unsafe settings found." : $"{errors} error(s), {findings.Count - errors} warning(s).");
        return errors > 0 ? 1 : 0;
    }
}
