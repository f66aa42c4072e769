using System.CommandLine;
using System.Globalization;
using Carevault.Identity.Tenants;
using Carevault.Records.Store;

namespace Carevault.Server.Cli;

/// <summary>
/// <c>carevault fhir load --tenant t FILE</c>: bulk-loads NDJSON (one resource per line) or a Bundle (<c>*.json</c>, type
/// collection or batch) into a tenant through the same <see cref="BulkLoader"/> as <c>POST /fhir/$import</c>. The
/// operator acts for the tenant, so every stored type may be created; the command is recorded in the audit trail.
/// Exit 0 when every line loaded, 2 when some were rejected (listed on stderr), 1 on failure.
/// </summary>
public static class FhirCommands
{
    public static Command Create(Func<ParseResult, Dictionary<string, string?>> namedOptions)
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id.", Required = true };
        var file = new Argument<string>("file") { Description = "An NDJSON file (or '-' for standard input), or a Bundle ending in .json." };
        var load = new Command("load", "Bulk-load FHIR resources into a tenant (validated and indexed as by create).") { tenant, file };
        load.SetAction((parse, ct) => AdminCommands.WithServicesAsync(parse, namedOptions, async services =>
        {
            var tenantId = parse.GetValue(tenant)!;
            if (await services.GetRequiredService<TenantStore>().FindAsync(tenantId, ct) is null) return Fail("No such tenant.");
            var loader = services.GetRequiredService<BulkLoader>();
            var path = new FileInfo(parse.GetValue(file)!);
            var stdin = path.Name == "-";
            if (!stdin && !path.Exists) return Fail("No such file.");
            var bundle = !stdin && path.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase);
            await using var input = stdin ? Console.OpenStandardInput() : path.OpenRead();
            IAsyncEnumerable<BulkItem> items;
            if (bundle)
            {
                using var buffer = new MemoryStream();
                await input.CopyToAsync(buffer, ct);
                var read = BundleItems.Read(buffer.ToArray());
                if (read.Error is { } error) return Fail(error.Message);
                items = read.Value!.ToAsyncEnumerable();
            }
            else items = NdjsonReader.ReadAsync(input, loader.Options.MaxLineBytes, ct);

            var report = await loader.LoadAsync(tenantId, items, null, ct);
            foreach (var rejected in report.Errors)
            {
                var at = bundle ? $"entry {rejected.Number}" : $"line {rejected.Number}";
                var first = rejected.Error.Issues is { Count: > 0 } issues ? $"{issues[0].Diagnostics} ({issues[0].Location})" : rejected.Error.Message;
                Console.Error.WriteLine($"{at}: {first}");
            }
            if (report.Rejected > report.Errors.Count) Console.Error.WriteLine($"… and {report.Rejected - report.Errors.Count} more rejected.");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Loaded {report.Created} of {report.Read} resources in {report.Elapsed.TotalSeconds:F1} s ({report.ResourcesPerSecond:F0}/s): {BulkLoader.Describe(report)}."));
            return report.Rejected == 0 ? 0 : 2;
        }));
        return new Command("fhir", "FHIR store tools.") { load };
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
