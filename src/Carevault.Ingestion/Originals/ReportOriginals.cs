using System.Buffers;
using System.Security.Cryptography;
using Carevault.Ingestion.Jobs;
using Carevault.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Carevault.Ingestion.Originals;

/// <summary>
/// Sends a job's stored original: decrypted from the blob store and checked against the SHA-256 taken at intake, as an
/// attachment. The one path for <c>GET /api/reports/{id}/original</c> and the portal's document download; callers decide
/// access first.
/// </summary>
public sealed partial class ReportOriginals(EncryptedBlobStore blobs, ILogger<ReportOriginals> logger)
{
    /// <summary>The download's file name: the job id and the format's usual extension (never the submitter's name for it).</summary>
    public static string FileName(IngestionJob job) => $"{job.Id}.{Extension(job.Format)}";

    /// <summary>
    /// Writes the whole original to <paramref name="http"/>'s response (no-store, attachment). False when it is not in
    /// storage (nothing written). When the bytes do not match the hash, the connection is aborted before the last
    /// chunk, so the client sees a broken transfer rather than a complete wrong file.
    /// </summary>
    public async Task<bool> WriteAsync(HttpContext http, IngestionJob job, string contentType, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(job);
        var stream = await blobs.OpenReadAsync(job.BlobKey, ct);
        if (stream is null) return false;
        await using (stream)
        {
            SetHeaders(http, job);
            http.Response.ContentType = contentType;
            http.Response.ContentLength = stream.Length;
            if (!await CopyVerifiedAsync(stream, http.Response.Body, job.Sha256, ct))
            {
                LogIntegrityFailure(logger, job.Id);
                http.Abort();
            }
        }
        return true;
    }

    /// <summary>The decrypted original as a seekable stream (for Range requests, each chunk authenticated by AES-GCM); null when missing.</summary>
    public async Task<Stream?> OpenAsync(HttpContext http, IngestionJob job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(job);
        var stream = await blobs.OpenReadAsync(job.BlobKey, ct);
        if (stream is not null) SetHeaders(http, job);
        return stream;
    }

    static void SetHeaders(HttpContext http, IngestionJob job)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = FileName(job) }.ToString();
    }

    /// <summary>Copies while hashing, writing each chunk only once the next is read, so the final chunk goes out only if the hash matches.</summary>
    static async Task<bool> CopyVerifiedAsync(Stream source, Stream destination, string sha256Hex, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var held = ArrayPool<byte>.Shared.Rent(81920);
        var next = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            var heldLength = 0;
            while (true)
            {
                var n = await source.ReadAsync(next.AsMemory(0, 81920), ct);
                if (n == 0) break;
                if (heldLength > 0) await destination.WriteAsync(held.AsMemory(0, heldLength), ct);
                hash.AppendData(next, 0, n);
                (held, next) = (next, held);
                heldLength = n;
            }
            if (!string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), sha256Hex, StringComparison.Ordinal)) return false;
            if (heldLength > 0) await destination.WriteAsync(held.AsMemory(0, heldLength), ct);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(held, clearArray: true);
            ArrayPool<byte>.Shared.Return(next, clearArray: true);
        }
    }

    static string Extension(string format) => format switch { "hl7v2" => "hl7", "dicom" => "dcm", "pdf" => "pdf", _ => "json" };

    [LoggerMessage(Level = LogLevel.Error, Message = "Report {JobId}: the stored original does not match its SHA-256; the download was aborted")]
    static partial void LogIntegrityFailure(ILogger logger, string jobId);
}
