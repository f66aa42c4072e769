using System.Reflection;

namespace Carevault.Architecture.Tests;

/// <summary>Module edges (docs/decisions/0001-module-layout.md), checked on the compiled assemblies.</summary>
public sealed class DependencyTests
{
    public static TheoryData<string> PureLibraries => new() { "Carevault.Hl7v2", "Carevault.Dicom", "Carevault.Pdf", "Carevault.Fhir", "Carevault.Crypto", "Carevault.Ingestion.Mapping" };

    // The pure libraries that build on other pure libraries (and only on them).
    static readonly Dictionary<string, string[]> PureDependencies = new()
    {
        ["Carevault.Ingestion.Mapping"] = ["Carevault.Hl7v2", "Carevault.Dicom", "Carevault.Pdf"],
    };

    static readonly string[] Infrastructure =
    [
        "Microsoft.AspNetCore", "Microsoft.Data", "Npgsql", "Dapper", "Microsoft.Extensions.Logging",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Configuration", "System.Net.Http", "AWSSDK",
    ];

    [Theory]
    [MemberData(nameof(PureLibraries))]
    public void PureLibrary_ReferencesNoInfrastructureAndNoOtherModule(string name)
    {
        var references = Load(name).GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, r => Infrastructure.Any(prefix => r.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.All(references.Where(r => r.StartsWith("Carevault.", StringComparison.Ordinal)),
            r => Assert.Contains(r, PureDependencies.GetValueOrDefault(name, [])));
    }

    [Theory]
    [InlineData("Carevault.Storage", new[] { "Carevault.Crypto" })]
    [InlineData("Carevault.Identity", new[] { "Carevault.Storage", "Carevault.Crypto" })]
    [InlineData("Carevault.Records", new[] { "Carevault.Fhir", "Carevault.Identity", "Carevault.Storage", "Carevault.Crypto" })]
    [InlineData("Carevault.Mllp", new[] { "Carevault.Hl7v2" })]
    [InlineData("Carevault.Ingestion", new[] { "Carevault.Records", "Carevault.Fhir", "Carevault.Identity", "Carevault.Storage", "Carevault.Crypto", "Carevault.Pdf", "Carevault.Ingestion.Mapping", "Carevault.Mllp", "Carevault.Hl7v2" })]
    [InlineData("Carevault.Audit", new[] { "Carevault.Identity", "Carevault.Storage", "Carevault.Crypto" })]
    [InlineData("Carevault.Portal", new[] { "Carevault.Records", "Carevault.Fhir", "Carevault.Identity", "Carevault.Storage", "Carevault.Crypto", "Carevault.Ingestion", "Carevault.Audit" })]
    public void Module_ReferencesOnlyModulesBelowIt(string name, string[] allowed)
    {
        var modules = Load(name).GetReferencedAssemblies().Select(a => a.Name!).Where(r => r.StartsWith("Carevault.", StringComparison.Ordinal));

        Assert.All(modules, module => Assert.Contains(module, allowed));
    }

    static Assembly Load(string name) => Assembly.Load(new AssemblyName(name));
}
