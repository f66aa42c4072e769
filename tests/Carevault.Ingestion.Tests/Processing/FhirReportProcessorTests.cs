using System.Text;
using System.Text.Json.Nodes;
using Carevault.Ingestion.Jobs;
using Carevault.Ingestion.Processing;

namespace Carevault.Ingestion.Tests.Processing;

public sealed class FhirReportProcessorTests
{
    static ProcessingOutput Process(string json) => new FhirReportProcessor().Process(new ProcessingInput
    {
        Job = new IngestionJob(),
        Content = Encoding.UTF8.GetBytes(json),
        OriginalUrl = "/api/reports/j1/original",
    });

    [Fact]
    public void Process_SingleResource_BecomesOneCreateWithoutItsId()
    {
        var output = Process("""{"resourceType":"Observation","id":"x","status":"final"}""");

        var entry = output.TransactionBundle!["entry"]![0]!;
        Assert.Equal("transaction", (string?)output.TransactionBundle["type"]);
        Assert.Equal("POST", (string?)entry["request"]!["method"]);
        Assert.Equal("Observation", (string?)entry["request"]!["url"]);
        Assert.StartsWith("urn:uuid:", (string?)entry["fullUrl"], StringComparison.Ordinal);
        Assert.Null(entry["resource"]!["id"]);
        Assert.Equal("final", (string?)entry["resource"]!["status"]);
    }

    [Fact]
    public void Process_Batch_IsProcessedAsATransaction()
    {
        var output = Process("""{"resourceType":"Bundle","type":"batch","entry":[]}""");

        Assert.Equal("transaction", (string?)output.TransactionBundle!["type"]);
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"document"}""", "fhir.bundle-type")]
    [InlineData("""[1]""", "fhir.not-a-resource")]
    [InlineData("""{"id":"x"}""", "fhir.not-a-resource")]
    [InlineData("""{"resourceType":"Patient",""", "fhir.invalid-json")]
    public void Process_WhatIsNotAResourceOrTransaction_FailsWithACode(string json, string code)
    {
        var output = Process(json);

        Assert.Null(output.TransactionBundle);
        Assert.Equal(code, output.Error!.Code);
    }

    [Fact]
    public void Process_WithUtf8Bom_IsRead()
    {
        var output = Process("\uFEFF{\"resourceType\":\"Patient\"}");

        Assert.NotNull(output.TransactionBundle);
    }
}
