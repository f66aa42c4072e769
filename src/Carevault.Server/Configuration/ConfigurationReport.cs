using System.Text.RegularExpressions;
using Carevault.Identity.Outbox;
using Carevault.Identity.People;
using Carevault.Identity.Tokens;
using Carevault.Storage;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Carevault.Server.Configuration;

/// <summary>
/// The effective configuration, secrets masked, with the problems that must stop the server from starting.
/// Used by <c>carevault config check</c> and at <c>serve</c> start.
/// </summary>
public sealed partial class ConfigurationReport
{
    public required IReadOnlyList<(string Key, string Value, string Source)> Entries { get; init; }
    public required IReadOnlyList<string> Errors { get; init; }

    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// Each section's own reader, run as the server would at start: a bad value fails here with the same message.
    /// A module with settings adds its reader to this list.
    /// </summary>
    static readonly Action<IConfiguration>[] Validators =
    [
        c => StorageSettings.From(c),
        c => Security.RateLimiting.Limits.From(c),
        c => Observability.MetricsEndpoint.AllowedNetworks(c),
        c => Security.ProxyHeaders.KnownProxies(c),
        c => Http.HttpLimits.From(c),
        c => EmailOptions.Read(c, StorageSettings.From(c)),
        c => TokenOptions.From(c),
        c => PasswordResetOptions.From(c),
        c => Carevault.Ingestion.IngestionOptions.From(c),
        c => Carevault.Ingestion.Mllp.MllpIntakeOptions.From(c),
    ];

    public static ConfigurationReport Create(IConfigurationRoot configuration)
    {
        var errors = new List<string>();
        var entries = new List<(string, string, string)>();
        foreach (var (key, value) in configuration.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
        {
            var provider = configuration.Providers.Last(p => p.TryGet(key, out _));
            var secret = IsSecret(key);
            if (secret && CarevaultConfiguration.IsFromFile(provider) && HasSecretMaterial(key, value!))
                errors.Add($"{key}: secrets must come from the environment or a file (CAREVAULT_{key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant()}_FILE), not from appsettings.");
            entries.Add((key, secret ? Mask(key, value!) : value!, SourceName(configuration, provider)));
        }

        foreach (var url in (configuration["Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                errors.Add($"Urls: '{url}' is not an http:// or https:// address.");
        }
        foreach (var origin in Security.HttpHardening.AllowedOrigins(configuration))
        {
            if (origin == "*")
                errors.Add("Cors:AllowedOrigins: '*' would let any web page call the API with a user's token; list the origins.");
            else if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.AbsolutePath != "/")
                errors.Add($"Cors:AllowedOrigins: '{origin}' is not an origin (scheme://host[:port]).");
        }
        foreach (var validate in Validators)
        {
            try
            {
                validate(configuration);
            }
            catch (InvalidOperationException e)
            {
                errors.Add(e.Message);
            }
        }
        return new ConfigurationReport { Entries = entries, Errors = errors };
    }

    public void WriteTo(TextWriter output)
    {
        foreach (var (key, value, source) in Entries)
            output.WriteLine($"{key} = {value}    ({source})");
        output.WriteLine();
        if (IsValid)
        {
            output.WriteLine("Configuration is valid.");
            return;
        }
        foreach (var error in Errors) output.WriteLine($"error: {error}");
    }

    /// <summary>Keys whose values are credentials or keys. Matches on the last path segment.</summary>
    public static bool IsSecret(string key) => SecretKey().IsMatch(key);

    static bool HasSecretMaterial(string key, string value) =>
        !key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase) || value.Contains("password", StringComparison.OrdinalIgnoreCase);

    static string Mask(string key, string value)
    {
        if (!key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase)) return value.Length == 0 ? "" : "********";
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            if (!string.IsNullOrEmpty(builder.Password)) builder.Password = "********";
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return Regex.Replace(value, "(?i)(password|pwd)=[^;]*", "$1=********");
        }
    }

    static string SourceName(IConfigurationRoot configuration, IConfigurationProvider provider) => provider switch
    {
        _ when ReferenceEquals(provider, configuration.Providers.First()) => "default",
        Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider json => Path.GetFileName(json.Source.Path) ?? "appsettings",
        Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationProvider => "command line",
        Microsoft.Extensions.Configuration.Memory.MemoryConfigurationProvider => "command line",
        _ when provider.GetType().DeclaringType == typeof(CarevaultEnvironmentSource) => "environment",
        _ => provider.GetType().Name,
    };

    [GeneratedRegex("(password|secret|secretaccesskey|masterkey|auditkey|privatekey|apikey|token|connectionstring)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretKey();
}
