using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Carevault.Storage;

namespace Carevault.Api.Tests.Ingestion;

[CollectionDefinition(nameof(LargeUploadTests), DisableParallelization = true)]
public sealed class LargeUploadsRunAlone;

/// <summary>
/// A large upload streams: the managed heap of the (whole test) process stays far below the body's size while the
/// body goes through sniffing, hashing, encryption and the blob store. Run alone so other tests' allocations do not
/// blur the measurement.
/// </summary>
[Collection(nameof(LargeUploadTests))]
public sealed class LargeUploadTests
{
    const long BodyBytes = 256L * 1024 * 1024;

    [Fact]
    public async Task Upload_256MegabyteBody_KeepsTheManagedHeapFlat_AndRecordsSizeAndHash()
    {
        await using var app = await IngestionApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Ingestion:Workers"] = "0" });
        var (_, _, http) = await app.NewHospitalAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reports") { Content = new GeneratedContent(BodyBytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(5);
            }
        });

        var response = await http.SendAsync(request);
        await sampling.CancelAsync();
        await sampler;

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var job = JsonDocument.Parse(body).RootElement;
        Assert.Equal(BodyBytes, job.GetProperty("size").GetInt64());
        Assert.Equal(((GeneratedContent)request.Content).Sha256, job.GetProperty("sha256").GetString());
        var growth = peak - baseline;
        Assert.True(growth < 64L * 1024 * 1024, $"The managed heap grew by {growth / (1024 * 1024)} MB for a {BodyBytes / (1024 * 1024)} MB upload.");
    }

    /// <summary>A DICOM-looking body produced on the fly from one 64 KiB buffer; its SHA-256 once sent.</summary>
    sealed class GeneratedContent(long length) : HttpContent
    {
        public string? Sha256 { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            Random.Shared.NextBytes(buffer);
            "DICM"u8.CopyTo(buffer.AsSpan(128));
            for (long sent = 0; sent < length; sent += buffer.Length)
            {
                var n = (int)Math.Min(buffer.Length, length - sent);
                hash.AppendData(buffer, 0, n);
                await stream.WriteAsync(buffer.AsMemory(0, n));
                if (sent == 0) buffer.AsSpan(128, 4).Clear(); // the magic only at the start
            }
            Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }
    }
}
