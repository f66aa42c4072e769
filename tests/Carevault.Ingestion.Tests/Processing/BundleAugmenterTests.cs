using System.Text.Json.Nodes;
using Carevault.Ingestion.Jobs;
using Carevault.Ingestion.Processing;

namespace Carevault.Ingestion.Tests.Processing;

public sealed class BundleAugmenterTests
{
    static readonly IngestionJob Job = new()
    {
        Id = "job1",
        Submitter = "cli_7",
        SubmitterKind = "client",
        ContentType = "application/pdf",
        Sha256 = new string('a', 64),
        SizeBytes = 1234,
        ReportType = "pathology",
    };

    static readonly DateTimeOffset Now = new(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero);

    static JsonObject Bundle() => JsonNode.Parse("""
        {"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
          {"resource":{"resourceType":"DiagnosticReport"},"request":{"method":"POST","url":"DiagnosticReport"}},
          {"resource":{"resourceType":"Patient","id":"old"},"request":{"method":"PUT","url":"Patient/old"}},
          {"request":{"method":"DELETE","url":"Observation/gone"}}
        ]}
        """)!.AsObject();

    [Fact]
    public void Augment_AddsTheOriginalsDocumentReference_AndProvenanceOverEveryWrite()
    {
        var bundle = Bundle();

        BundleAugmenter.Augment(bundle, Job, "https://cv.example/api/reports/job1/original", addDocumentReference: true, Now);

        var entries = bundle["entry"]!.AsArray();
        Assert.Equal(6, entries.Count);
        var reportUrl = (string?)entries[1]!["fullUrl"];
        Assert.StartsWith("urn:uuid:", reportUrl, StringComparison.Ordinal);
        var document = entries[4]!["resource"]!;
        var documentUrl = (string?)entries[4]!["fullUrl"];
        Assert.Equal("DocumentReference", (string?)document["resourceType"]);
        Assert.Equal("https://cv.example/api/reports/job1/original", (string?)document["content"]![0]!["attachment"]!["url"]);
        Assert.Equal("application/pdf", (string?)document["content"]![0]!["attachment"]!["contentType"]);
        Assert.Equal(1234, (long)document["content"]![0]!["attachment"]!["size"]!);
        Assert.Equal("urn:uuid:p", (string?)document["subject"]!["reference"]);
        Assert.Equal("pathology", (string?)document["type"]!["text"]);
        Assert.Equal(BundleAugmenter.NamedInformation(Job.Sha256), (string?)document["masterIdentifier"]!["value"]);

        var provenance = entries[5]!["resource"]!;
        Assert.Equal("Provenance", (string?)provenance["resourceType"]);
        Assert.Equal(["urn:uuid:p", reportUrl, "Patient/old", documentUrl], provenance["target"]!.AsArray().Select(t => (string?)t!["reference"]));
        Assert.Equal("2026-11-22T01:02:03.456Z", (string?)provenance["recorded"]);
        Assert.Equal("urn:carevault:client-id", (string?)provenance["agent"]![0]!["who"]!["identifier"]!["system"]);
        Assert.Equal("cli_7", (string?)provenance["agent"]![0]!["who"]!["identifier"]!["value"]);
        Assert.Equal(documentUrl, (string?)provenance["entity"]![0]!["what"]!["reference"]);
        Assert.Equal("job1", (string?)provenance["entity"]![1]!["what"]!["identifier"]!["value"]);
    }

    [Fact]
    public void Augment_WhenTheMapperPointedAtTheOriginal_AddsNoSecondDocumentReference()
    {
        var bundle = Bundle();
        bundle["entry"]!.AsArray().Add(JsonNode.Parse("""
            {"fullUrl":"urn:uuid:d","resource":{"resourceType":"DocumentReference","content":[{"attachment":{"url":"/api/reports/job1/original"}}]},"request":{"method":"POST","url":"DocumentReference"}}
            """));

        BundleAugmenter.Augment(bundle, Job, "/api/reports/job1/original", addDocumentReference: true, Now);

        var entries = bundle["entry"]!.AsArray();
        Assert.Single(entries, e => (string?)e!["resource"]?["resourceType"] == "DocumentReference");
        Assert.Equal("urn:uuid:d", (string?)entries[^1]!["resource"]!["entity"]![0]!["what"]!["reference"]);
    }

    [Fact]
    public void NamedInformation_IsRfc6920Sha256InBase64Url() =>
        Assert.Equal("ni:///sha-256;47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
            BundleAugmenter.NamedInformation("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")); // SHA-256 of nothing
}
