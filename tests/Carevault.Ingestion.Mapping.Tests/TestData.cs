using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carevault.Fhir.Spec;
using Carevault.Fhir.Validation;

namespace Carevault.Ingestion.Mapping.Tests;

/// <summary>The sample files copied next to the test binaries (tests/data/{hl7v2,dicom,pdf}) and shared helpers.</summary>
internal static class TestData
{
    public const string UploadSystem = "urn:oid:2.16.840.1.113883.19.5";
    public const string UploadValue = "UPLOAD-42";

    private static readonly FhirValidator Validator = new(FhirSpec.R4);

    public static string PathOf(string folder, string file) => Path.Combine(AppContext.BaseDirectory, "data", folder, file);

    public static byte[] Read(string folder, string file) => File.ReadAllBytes(PathOf(folder, file));

    public static IEnumerable<string> Files(string folder, string pattern) =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "data", folder), pattern)
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static MappingInput Input(ReportFormat format, byte[] content, bool withUploadIdentifier = true, string? reportType = null) => new()
    {
        Format = format,
        Content = content,
        OriginalSha256 = Convert.ToHexStringLower(SHA256.HashData(content)),
        OriginalUrl = "https://carevault.example/api/reports/r-1/original",
        ContentType = format switch
        {
            ReportFormat.Hl7v2 => "x-application/hl7-v2+er7",
            ReportFormat.Dicom => "application/dicom",
            _ => "application/pdf",
        },
        PatientIdentifierSystem = withUploadIdentifier ? UploadSystem : null,
        PatientIdentifierValue = withUploadIdentifier ? UploadValue : null,
        ReportType = reportType,
    };

    public static MappingResult Map(ReportFormat format, string folder, string file, bool withUploadIdentifier = true, string? reportType = null) =>
        ReportMapper.Map(Input(format, Read(folder, file), withUploadIdentifier, reportType));

    /// <summary>The bundle of a successful mapping, after checking its shape and validating every entry.</summary>
    public static JsonObject Bundle(MappingResult result)
    {
        Assert.Null(result.Error);
        JsonObject bundle = Assert.IsType<JsonObject>(result.TransactionBundle);
        AssertValidTransaction(bundle);
        return bundle;
    }

    public static void AssertValidTransaction(JsonObject bundle)
    {
        Assert.Equal("Bundle", (string?)bundle["resourceType"]);
        Assert.Equal("transaction", (string?)bundle["type"]);
        JsonArray entries = bundle["entry"]!.AsArray();
        Assert.NotEmpty(entries);
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? entry in entries)
        {
            string fullUrl = (string)entry!["fullUrl"]!;
            Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", fullUrl);
            Assert.True(fullUrls.Add(fullUrl), $"duplicate fullUrl {fullUrl}");
            JsonObject resource = entry["resource"]!.AsObject();
            string type = (string)resource["resourceType"]!;
            if ((string?)entry["request"]!["method"] == "PUT")
            {
                // ADT's conditional updates: the Patient by its matched identifier, the Encounter by its visit number.
                Assert.True(type is "Patient" or "Encounter", $"PUT {type}");
                Assert.StartsWith(type + "?identifier=", (string?)entry["request"]!["url"]);
            }
            else
            {
                Assert.Equal("POST", (string?)entry["request"]!["method"]);
                Assert.Equal(type, (string?)entry["request"]!["url"]);
                if (type == "Patient")
                {
                    Assert.StartsWith("identifier=", (string?)entry["request"]!["ifNoneExist"]);
                }
            }

            ValidationResult validation = Validator.Validate(JsonSerializer.SerializeToElement(resource));
            Assert.True(validation.IsValid, $"{type} invalid: {string.Join("; ", validation.Issues)}");
        }

        // Every reference inside the bundle points at an entry of it.
        foreach (string reference in References(bundle))
        {
            if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal))
            {
                Assert.Contains(reference, fullUrls);
            }
        }
    }

    public static IEnumerable<JsonObject> Resources(JsonObject bundle, string type) =>
        bundle["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).Where(r => (string?)r["resourceType"] == type);

    public static JsonObject Entry(JsonObject bundle, JsonObject resource) =>
        bundle["entry"]!.AsArray().Select(e => e!.AsObject()).Single(e => ReferenceEquals(e["resource"], resource));

    private static IEnumerable<string> References(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue(out string? s))
                    {
                        yield return s;
                    }

                    foreach (string r in References(value))
                    {
                        yield return r;
                    }
                }

                break;
            case JsonArray a:
                foreach (JsonNode? item in a)
                {
                    foreach (string r in References(item))
                    {
                        yield return r;
                    }
                }

                break;
        }
    }
}
