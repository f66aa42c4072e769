using System.CommandLine;
using Carevault.Server.Cli;

namespace Carevault.Server;

/// <summary>The <c>carevault</c> entry point (also the in-process test host's, through WebApplicationFactory).</summary>
public sealed class Program
{
    Program() { }

    public static Task<int> Main(string[] args) =>
        CarevaultCli.Create().Parse(args).InvokeAsync(new InvocationConfiguration
        {
            // Exceptions reach the host (and the in-process test host, which stops Main by throwing), not a banner.
            EnableDefaultExceptionHandler = false,
            // The generic host owns SIGTERM/SIGINT so it can drain requests; System.CommandLine must not race it.
            ProcessTerminationTimeout = null,
        });
}
