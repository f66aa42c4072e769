using System.Collections;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Carevault.Server.Configuration;

/// <summary>
/// Reads <c>CAREVAULT_*</c> environment variables: <c>CAREVAULT_DATABASE__PROVIDER</c> → <c>Database:Provider</c>;
/// a <c>_FILE</c> suffix reads the value from that file (how container platforms hand over secrets);
/// <c>CAREVAULT_DATABASE</c> is a shorthand taking <c>sqlite</c>, <c>postgres</c>, a <c>postgres://</c> URL or a
/// connection string.
/// </summary>
public sealed class CarevaultEnvironmentSource(IDictionary? variables = null) : IConfigurationSource
{
    public const string Prefix = "CAREVAULT_";

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(variables ?? Environment.GetEnvironmentVariables());

    sealed class Provider(IDictionary variables) : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in variables)
            {
                var name = (string)entry.Key;
                if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || entry.Value is not string value) continue;
                name = name[Prefix.Length..];
                if (name.EndsWith("_FILE", StringComparison.OrdinalIgnoreCase))
                {
                    name = name[..^"_FILE".Length];
                    value = File.ReadAllText(value).TrimEnd('\r', '\n');
                }
                var key = name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
                if (string.Equals(key, "Database", StringComparison.OrdinalIgnoreCase)) ExpandDatabaseShorthand(value, data);
                else data[key] = value;
            }
            Data = data;
        }
    }

    /// <summary>Turns the one-variable database setting into provider + connection string.</summary>
    public static void ExpandDatabaseShorthand(string value, IDictionary<string, string?> data)
    {
        value = value.Trim();
        if (value.Equals("sqlite", StringComparison.OrdinalIgnoreCase) || value.Equals("postgres", StringComparison.OrdinalIgnoreCase))
        {
            data["Database:Provider"] = value;
            return;
        }
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            data["Database:Provider"] = "Postgres";
            data["Database:ConnectionString"] = FromPostgresUrl(new Uri(value));
            return;
        }
        var isSqlite = value.Contains("Data Source=", StringComparison.OrdinalIgnoreCase) || value.Contains("DataSource=", StringComparison.OrdinalIgnoreCase);
        data["Database:Provider"] = isSqlite ? "Sqlite" : "Postgres";
        data["Database:ConnectionString"] = value;
    }

    static string FromPostgresUrl(Uri url)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.IsDefaultPort || url.Port <= 0 ? 5432 : url.Port,
            Database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/')),
        };
        var userInfo = url.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        return builder.ConnectionString;
    }
}
