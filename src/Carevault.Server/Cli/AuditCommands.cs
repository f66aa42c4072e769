using System.CommandLine;
using Carevault.Audit.Trail;

namespace Carevault.Server.Cli;

/// <summary><c>carevault audit verify [--tenant t]</c>: walks the hash chains and names the first broken record.</summary>
public static class AuditCommands
{
    public static Command Create(Func<ParseResult, Dictionary<string, string?>> namedOptions)
    {
        var tenant = new Option<string?>("--tenant") { Description = "Verify this tenant's chain only (default: every chain)." };
        var verify = new Command("verify", "Check that no audit record was edited, deleted or reordered; exit 1 naming the first that was.") { tenant };
        verify.SetAction((parse, ct) => AdminCommands.WithServicesAsync(parse, namedOptions, async services =>
        {
            var verdicts = await services.GetRequiredService<AuditVerifier>().VerifyAsync(parse.GetValue(tenant), ct);
            var broken = 0;
            foreach (var verdict in verdicts)
            {
                if (verdict.IsIntact)
                {
                    Console.Out.WriteLine($"{verdict.TenantId}: intact, {verdict.Records} records, head {verdict.HeadHash}");
                    continue;
                }
                broken++;
                Console.Out.WriteLine($"{verdict.TenantId}: BROKEN at record {verdict.FirstBadSeq}: {verdict.Problem}");
            }
            if (verdicts.Count == 0) Console.Out.WriteLine("No audit chains yet.");
            return broken == 0 ? 0 : 2;
        }));
        return new Command("audit", "Audit trail tools.") { verify };
    }

    /// <summary>Records an operator command in the trail (<see cref="AdminCommands"/> calls it after each change).</summary>
    internal static Task RecordAsync(IServiceProvider services, ParseResult parse, int exitCode)
    {
        var command = parse.CommandResult.Command;
        var path = command.Parents.OfType<Command>().FirstOrDefault() is { } parent && parent is not RootCommand ? $"{parent.Name} {command.Name}" : command.Name;
        string? Value(string option) => parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .FirstOrDefault(o => o.Option.Name == option)?.GetValueOrDefault<string?>();
        var subject = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>().FirstOrDefault()?.GetValueOrDefault<string?>();
        var tenantId = Value("--tenant") ?? (path == "tenants create" ? subject : null);
        return OperatorAudit.RecordAsync(services.GetRequiredService<AuditTrail>(), services.GetRequiredService<TimeProvider>(), path, tenantId, subject, exitCode, CancellationToken.None);
    }
}
