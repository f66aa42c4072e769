using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Carevault.Server.Configuration;

/// <summary>
/// The configuration sources, lowest precedence first: built-in defaults, appsettings.json and
/// appsettings.{Environment}.json beside the binary, <c>CAREVAULT_*</c> environment variables, command-line options.
/// </summary>
public static class CarevaultConfiguration
{
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Urls"] = "http://127.0.0.1:8080",
        ["DataDirectory"] = Carevault.Storage.StorageSettings.DefaultDataDirectory,
    };

    public static void AddCarevaultSources(this IConfigurationBuilder builder, string environment, IEnumerable<string> commandLine, IReadOnlyDictionary<string, string?> namedOptions)
    {
        builder.Sources.Clear();
        builder.AddInMemoryCollection(Defaults);
        builder.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        builder.AddJsonFile(Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json"), optional: true, reloadOnChange: false);
        builder.Add(new CarevaultEnvironmentSource());
        builder.AddCommandLine(commandLine.ToArray());
        builder.AddInMemoryCollection(namedOptions);
    }

    /// <summary>True when a value came from an appsettings file (where secrets must not live).</summary>
    public static bool IsFromFile(IConfigurationProvider provider) => provider is JsonConfigurationProvider;

    /// <summary>
    /// A list setting: an array section (<c>Key:0</c>, <c>Key:1</c>, or <c>KEY__0</c> in the environment) or one
    /// <c>;</c>-separated string; empty when unset.
    /// </summary>
    public static string[] List(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var list = section.Get<string[]>() ?? [];
        if (list.Length == 0 && section.Value is { Length: > 0 } joined)
            list = joined.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return list;
    }
}
