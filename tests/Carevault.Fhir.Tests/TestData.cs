using System.Text.Json;

namespace Carevault.Fhir.Tests;

internal static class TestData
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "data", "fhir");

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    public static IEnumerable<string> JsonFiles(bool invalid) =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Select(Path.GetFileName)
            .Where(f => f!.StartsWith("invalid_", StringComparison.Ordinal) == invalid)
            .Order(StringComparer.Ordinal)!;

    public static JsonDocument Parse(string file) => JsonDocument.Parse(FhirJson.SkipUtf8Bom(Bytes(file)));

    /// <summary>The resource and, for Bundles, every entry resource (recursively).</summary>
    public static IEnumerable<JsonElement> ResourcesIn(JsonElement resource)
    {
        yield return resource;
        if (resource.TryGetProperty("entry", out var entries) && resource.GetProperty("resourceType").GetString() == "Bundle")
        {
            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.TryGetProperty("resource", out var inner))
                {
                    foreach (var r in ResourcesIn(inner))
                    {
                        yield return r;
                    }
                }
            }
        }
    }
}
