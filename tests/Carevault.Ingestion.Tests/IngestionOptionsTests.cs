using Carevault.Ingestion.Intake;
using Microsoft.Extensions.Configuration;

namespace Carevault.Ingestion.Tests;

public sealed class IngestionOptionsTests
{
    static IngestionOptions From(params (string Key, string Value)[] values) =>
        IngestionOptions.From(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void From_ReadsTheSections()
    {
        var options = From(("Ingestion:MaxUploadBytes", "1000"), ("Ingestion:Workers", "0"), ("Ingestion:LeaseSeconds", "30"),
            ("Ingestion:RequiredMetadata:lab", "patientIdentifier, reportDate"), ("Scanning:PdfActiveContent", "Reject"),
            ("Scanning:ClamAv:Endpoint", "tcp://127.0.0.1:3310"), ("PublicUrl", "https://cv.example/"));

        Assert.Equal(1000, options.MaxUploadBytes);
        Assert.Equal(0, options.Workers);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Lease);
        Assert.Equal(["patientIdentifier", "reportDate"], options.RequiredMetadata["LAB"]);
        Assert.Equal(PdfActiveContentPolicy.Reject, options.PdfActiveContent);
        Assert.Equal("tcp://127.0.0.1:3310", options.ClamAvEndpoint);
        Assert.Equal("https://cv.example", options.PublicUrl);
    }

    [Theory]
    [InlineData("Ingestion:RequiredMetadata:lab", "patientName")]
    [InlineData("Scanning:PdfActiveContent", "ignore")]
    [InlineData("Ingestion:MaxAttempts", "0")]
    [InlineData("Ingestion:MaxUploadBytes", "-1")]
    public void From_RefusesNonsense(string key, string value) =>
        Assert.Throws<InvalidOperationException>(() => From((key, value)));

    [Fact]
    public void RetryDelayAfter_DoublesPerAttempt_UpToTheCap()
    {
        var options = From(("Ingestion:RetryDelayMs", "1000"), ("Ingestion:MaxRetryDelayMs", "5000"));

        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryDelayAfter(1));
        Assert.Equal(TimeSpan.FromSeconds(2), options.RetryDelayAfter(2));
        Assert.Equal(TimeSpan.FromSeconds(4), options.RetryDelayAfter(3));
        Assert.Equal(TimeSpan.FromSeconds(5), options.RetryDelayAfter(4));
        Assert.Equal(TimeSpan.FromSeconds(5), options.RetryDelayAfter(60));
    }

    [Theory]
    [InlineData("http://x/mrn|123", "http://x/mrn", "123")]
    [InlineData("123", null, "123")]
    [InlineData("|123", null, "123")]
    [InlineData("  ", null, null)]
    public void ParseIdentifier_TakesTokenSyntax(string text, string? system, string? value) =>
        Assert.Equal((system, value), ReportMetadata.ParseIdentifier(text));

    [Theory]
    [InlineData("2026-11-21", true)]
    [InlineData("2026-11-21T10:15:00Z", true)]
    [InlineData("2026-11-21T10:15:00.123+01:00", true)]
    [InlineData("21/11/2026", false)]
    [InlineData("2026-13-01", false)]
    public void Validate_ReportDateIsAFhirDateOrDateTime(string date, bool valid) =>
        Assert.Equal(valid, new ReportMetadata { ReportDate = date }.Validate() is null);

    [Fact]
    public void Validate_ReportTypeIsACode() =>
        Assert.Equal("reportType", new ReportMetadata { ReportType = "lab report" }.Validate()?.Field);
}
