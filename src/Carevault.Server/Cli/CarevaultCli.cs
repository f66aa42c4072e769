using System.CommandLine;
using Carevault.Server.Configuration;
using Carevault.Storage.Migrations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Carevault.Server.Cli;

/// <summary>
/// The <c>carevault</c> command line. <c>serve</c> is also what runs with no command. Options not named here pass
/// through as configuration (<c>--Database:Provider=Postgres</c>), like any <c>CAREVAULT_*</c> variable.
/// </summary>
public static class CarevaultCli
{
    static readonly Option<string?> Urls = new("--urls") { Description = "Addresses to listen on, ';'-separated (default http://127.0.0.1:8080).", Recursive = true };
    static readonly Option<string?> DataDirectory = new("--data-dir") { Description = "Folder for the embedded database and blobs (default ./data).", Recursive = true };
    static readonly Option<string?> Database = new("--database") { Description = "sqlite, postgres, a postgres:// URL or a connection string.", Recursive = true };

    public static RootCommand Create()
    {
        var root = new RootCommand("Carevault: a health-records server (FHIR R4, HL7 v2, DICOM, PDF).");
        root.Options.Add(Urls);
        root.Options.Add(DataDirectory);
        root.Options.Add(Database);
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction(ServeAsync);

        var serve = new Command("serve", "Start the server (the default command).") { TreatUnmatchedTokensAsErrors = false };
        serve.SetAction(ServeAsync);
        root.Subcommands.Add(serve);

        var migrate = new Command("migrate", "Apply pending database migrations and exit.") { TreatUnmatchedTokensAsErrors = false };
        migrate.SetAction(MigrateAsync);
        root.Subcommands.Add(migrate);

        var config = new Command("config", "Inspect configuration.");
        var check = new Command("check", "Print the effective configuration (secrets masked); exit 1 when it is invalid.") { TreatUnmatchedTokensAsErrors = false };
        check.SetAction(CheckConfig);
        config.Subcommands.Add(check);
        root.Subcommands.Add(config);

        var security = new Command("security", "Review security settings.");
        var securityCheck = new Command("check", "Flag settings unsafe in production, each with its fix; exit 1 on any error.") { TreatUnmatchedTokensAsErrors = false };
        securityCheck.SetAction(CheckSecurity);
        security.Subcommands.Add(securityCheck);
        root.Subcommands.Add(security);

        foreach (var command in AdminCommands.Create(NamedOptions)) root.Subcommands.Add(command);
        root.Subcommands.Add(AuditCommands.Create(NamedOptions));
        root.Subcommands.Add(FhirCommands.Create(NamedOptions));
        return root;
    }

    static async Task<int> ServeAsync(ParseResult parse, CancellationToken ct)
    {
        var app = CarevaultHost.Build([.. parse.UnmatchedTokens], NamedOptions(parse));
        var report = ConfigurationReport.Create((IConfigurationRoot)app.Configuration);
        if (!report.IsValid)
        {
            foreach (var error in report.Errors) await Console.Error.WriteLineAsync($"error: {error}");
            return 1;
        }
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses) Console.Out.WriteLine($"Carevault is listening on {address}");
        });
        // The host handles SIGTERM/SIGINT itself: it stops accepting, drains in-flight requests, then stops workers.
        await app.RunAsync();
        return 0;
    }

    static async Task<int> MigrateAsync(ParseResult parse, CancellationToken ct)
    {
        var options = NamedOptions(parse);
        options.TryAdd("Logging:LogLevel:Default", "Warning");
        await using var app = CarevaultHost.Build([.. parse.UnmatchedTokens], options);
        var report = ConfigurationReport.Create((IConfigurationRoot)app.Configuration);
        if (!report.IsValid)
        {
            foreach (var error in report.Errors) await Console.Error.WriteLineAsync($"error: {error}");
            return 1;
        }
        var migrator = app.Services.GetRequiredService<Migrator>();
        var applied = await migrator.MigrateAsync(TimeProvider.System, ct);
        var status = await migrator.GetStatusAsync(ct);
        Console.Out.WriteLine(applied.Count == 0
            ? $"Database is current at version {status.CurrentVersion}."
            : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}. Database is at version {status.CurrentVersion}.");
        return 0;
    }

    static int CheckConfig(ParseResult parse)
    {
        var builder = new ConfigurationBuilder();
        var environment = Environment.GetEnvironmentVariable("CAREVAULT_ENVIRONMENT") ?? "Production";
        builder.AddCarevaultSources(environment, [.. parse.UnmatchedTokens], NamedOptions(parse));
        var report = ConfigurationReport.Create(builder.Build());
        report.WriteTo(Console.Out);
        return report.IsValid ? 0 : 1;
    }

    static int CheckSecurity(ParseResult parse)
    {
        var builder = new ConfigurationBuilder();
        var environment = Environment.GetEnvironmentVariable("CAREVAULT_ENVIRONMENT") ?? "Production";
        builder.AddCarevaultSources(environment, [.. parse.UnmatchedTokens], NamedOptions(parse));
        return Security.SecurityCheck.WriteTo(Security.SecurityCheck.Run(builder.Build()), Console.Out);
    }

    static Dictionary<string, string?> NamedOptions(ParseResult parse)
    {
        var options = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (parse.GetValue(Urls) is { } urls) options["Urls"] = urls;
        if (parse.GetValue(DataDirectory) is { } dataDirectory) options["DataDirectory"] = dataDirectory;
        if (parse.GetValue(Database) is { } database) CarevaultEnvironmentSource.ExpandDatabaseShorthand(database, options);
        return options;
    }
}
