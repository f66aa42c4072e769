using System.Buffers;
using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Carevault.Storage.Blobs;

/// <summary>
/// Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, s3rver in tests).
/// <para>
/// Structural considerations (docs/decisions/0005-blob-stores.md): memory per upload is one part buffer whatever
/// the size — a blob that fits is one PUT, a larger one a multipart upload that is aborted on any failure or
/// cancellation, so a half-written object never becomes visible. Bodies are sent unchunked with checksums only
/// where required (AWS SDK v4 otherwise sends aws-chunked bodies with trailing checksums, which several
/// S3-compatible servers store verbatim). Reads are seekable: a seek costs a ranged GET on the next read, which
/// is what the decrypting range reader needs.
/// </para>
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    /// <summary>S3 copies at most 5 GiB per part; 1 GiB keeps each copy request short.</summary>
    const long CopyPartSize = 1L << 30;

    readonly AmazonS3Client _s3;
    readonly string _bucket;
    readonly string _prefix;
    readonly int _partSize;
    volatile bool _partCopyUnsupported;

    public S3BlobStore(S3BlobStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // SDK v4 defaults to aws-chunked uploads with trailing checksums; see ENVIRONMENT.md and the ADR.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.ServiceUrl is null) config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        else config.ServiceURL = options.ServiceUrl;

        _s3 = string.IsNullOrWhiteSpace(options.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
        _bucket = options.Bucket;
        _prefix = string.IsNullOrEmpty(options.Prefix) ? "" : options.Prefix.TrimEnd('/') + "/";
        _partSize = options.PartSize;
    }

    public async Task WriteAsync(string key, Stream content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        var objectKey = ObjectKey(key);
        var buffer = ArrayPool<byte>.Shared.Rent(_partSize);
        try
        {
            int n = await content.ReadAtLeastAsync(buffer.AsMemory(0, _partSize), _partSize, throwOnEndOfStream: false, ct);
            if (n < _partSize)
            {
                await PutAsync(objectKey, buffer, n, ct);
                return;
            }

            var uploadId = await InitiateAsync(objectKey, ct);
            try
            {
                var parts = new List<PartETag>();
                while (n > 0)
                {
                    parts.Add(await UploadPartAsync(objectKey, uploadId, parts.Count + 1, buffer, n, ct));
                    n = await content.ReadAtLeastAsync(buffer.AsMemory(0, _partSize), _partSize, throwOnEndOfStream: false, ct);
                }
                await CompleteAsync(objectKey, uploadId, parts, ct);
            }
            catch
            {
                await AbortAsync(objectKey, uploadId);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken ct)
    {
        var objectKey = ObjectKey(key);
        try
        {
            // An open-ended range, not a plain GET: on a plain GET of a single-part object the SDK checks the
            // body against the ETag with a managed MD5 that allocates more than the body's size (measured 1.3x).
            // Our blobs carry their own authentication (AEAD chunks), so that check buys nothing.
            var request = new GetObjectRequest { BucketName = _bucket, Key = objectKey, ByteRange = new ByteRange("bytes=0-") };
            GetObjectResponse response;
            try
            {
                response = await _s3.GetObjectAsync(request, ct);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // An empty object has no byte 0.
                response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = objectKey }, ct);
            }
            return new S3ObjectReadStream(this, objectKey, response, ObjectLength(response));
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode == "NoSuchKey")
        {
            // Only a missing key is "not found"; a missing bucket or an outage is an error.
            return null;
        }
    }

    /// <summary>The whole object's size: from <c>Content-Range: bytes a-b/size</c> on a 206, else the body length.</summary>
    static long ObjectLength(GetObjectResponse response)
    {
        var range = response.ContentRange;
        int slash = range?.LastIndexOf('/') ?? -1;
        return slash >= 0 && long.TryParse(range.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size)
            ? size
            : response.ContentLength;
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        var objectKey = ObjectKey(key);
        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = objectKey }, ct);
    }

    /// <summary>
    /// Objects cannot be patched, so the object is replaced: up to one part size by GET and PUT; above that by a
    /// multipart upload whose first part (5 MiB) carries the new prefix and whose other parts are copied
    /// server-side (UploadPartCopy), or, on a server without it, streamed through this process a part at a time.
    /// Every read is pinned to the ETag seen first, so an object replaced meanwhile fails the operation.
    /// </summary>
    public async Task<bool> ReplacePrefixAsync(string key, ReadOnlyMemory<byte> prefix, CancellationToken ct)
    {
        var objectKey = ObjectKey(key);
        GetObjectMetadataResponse head;
        try
        {
            head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = objectKey }, ct);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        long size = head.ContentLength;
        if (size < prefix.Length)
            throw new InvalidOperationException($"The blob is shorter than the {prefix.Length}-byte prefix to replace.");

        var buffer = ArrayPool<byte>.Shared.Rent(_partSize);
        try
        {
            if (size <= _partSize)
            {
                prefix.CopyTo(buffer);
                await ReadRangeAsync(objectKey, head.ETag, prefix.Length, buffer.AsMemory(prefix.Length, (int)size - prefix.Length), ct);
                await PutAsync(objectKey, buffer, (int)size, ct);
                return true;
            }

            var uploadId = await InitiateAsync(objectKey, ct);
            try
            {
                var parts = new List<PartETag>();
                int first = S3BlobStoreOptions.MinPartSize;
                prefix.CopyTo(buffer);
                await ReadRangeAsync(objectKey, head.ETag, prefix.Length, buffer.AsMemory(prefix.Length, first - prefix.Length), ct);
                parts.Add(await UploadPartAsync(objectKey, uploadId, 1, buffer, first, ct));

                long offset = first;
                if (!_partCopyUnsupported) offset = await TryCopyPartsAsync(objectKey, head.ETag, uploadId, parts, offset, size, ct);
                while (offset < size)
                {
                    int n = (int)Math.Min(_partSize, size - offset);
                    await ReadRangeAsync(objectKey, head.ETag, offset, buffer.AsMemory(0, n), ct);
                    parts.Add(await UploadPartAsync(objectKey, uploadId, parts.Count + 1, buffer, n, ct));
                    offset += n;
                }
                await CompleteAsync(objectKey, uploadId, parts, ct);
                return true;
            }
            catch
            {
                await AbortAsync(objectKey, uploadId);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    public async Task CheckWritableAsync(CancellationToken ct)
    {
        var key = $".probe/{Guid.NewGuid():N}";
        byte[] probe = [1, 2, 3];
        await WriteAsync(key, new MemoryStream(probe), ct);
        try
        {
            await using var read = await OpenReadAsync(key, ct)
                ?? throw new InvalidOperationException($"The probe object written to bucket '{_bucket}' cannot be read back.");
            var back = new byte[probe.Length + 1];
            int n = await read.ReadAtLeastAsync(back, back.Length, throwOnEndOfStream: false, ct);
            if (!back.AsSpan(0, n).SequenceEqual(probe))
                throw new InvalidOperationException($"The probe object read back from bucket '{_bucket}' differs from what was written.");
        }
        finally
        {
            await DeleteAsync(key, ct);
        }
    }

    public void Dispose() => _s3.Dispose();

    /// <summary>GET of <c>[offset, end]</c>, refused by the server if the object is no longer <paramref name="etag"/>.</summary>
    internal Task<GetObjectResponse> GetFromAsync(string objectKey, string etag, long offset, long lastByte, CancellationToken ct) =>
        _s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = _bucket,
            Key = objectKey,
            ByteRange = new ByteRange(offset, lastByte),
            EtagToMatch = etag,
        }, ct);

    async Task ReadRangeAsync(string objectKey, string etag, long offset, Memory<byte> target, CancellationToken ct)
    {
        if (target.IsEmpty) return;
        using var response = await GetFromAsync(objectKey, etag, offset, offset + target.Length - 1, ct);
        await response.ResponseStream.ReadExactlyAsync(target, ct);
    }

    /// <summary>Copies <c>[offset, size)</c> as server-side parts; returns where it stopped (offset if the server lacks UploadPartCopy).</summary>
    async Task<long> TryCopyPartsAsync(string objectKey, string etag, string uploadId, List<PartETag> parts, long offset, long size, CancellationToken ct)
    {
        while (offset < size)
        {
            long last = Math.Min(size, offset + CopyPartSize) - 1;
            CopyPartResponse response;
            try
            {
                response = await _s3.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = _bucket,
                    SourceKey = objectKey,
                    DestinationBucket = _bucket,
                    DestinationKey = objectKey,
                    UploadId = uploadId,
                    PartNumber = parts.Count + 1,
                    FirstByte = offset,
                    LastByte = last,
                    ETagToMatch = [etag],
                }, ct);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotImplemented && parts.Count == 1)
            {
                // s3rver 3.7 and some gateways lack UploadPartCopy; remember it and stream instead.
                _partCopyUnsupported = true;
                return offset;
            }
            parts.Add(new PartETag(parts.Count + 1, response.ETag));
            offset = last + 1;
        }
        return offset;
    }

    async Task PutAsync(string objectKey, byte[] buffer, int count, CancellationToken ct)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket,
            Key = objectKey,
            InputStream = body,
            AutoCloseStream = false,
            UseChunkEncoding = false,
        }, ct);
    }

    async Task<string> InitiateAsync(string objectKey, CancellationToken ct) =>
        (await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = objectKey }, ct)).UploadId;

    async Task<PartETag> UploadPartAsync(string objectKey, string uploadId, int partNumber, byte[] buffer, int count, CancellationToken ct)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        var response = await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket,
            Key = objectKey,
            UploadId = uploadId,
            PartNumber = partNumber,
            InputStream = body,
            PartSize = count,
            UseChunkEncoding = false,
        }, ct);
        return new PartETag(partNumber, response.ETag);
    }

    Task<CompleteMultipartUploadResponse> CompleteAsync(string objectKey, string uploadId, List<PartETag> parts, CancellationToken ct) =>
        _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = objectKey,
            UploadId = uploadId,
            PartETags = parts,
        }, ct);

    /// <summary>Best effort: the upload already failed; its parts are never visible, and a bucket lifecycle rule reaps what an abort misses.</summary>
    async Task AbortAsync(string objectKey, string uploadId)
    {
        // Not the caller's token: it is typically the one that was just cancelled.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = objectKey, UploadId = uploadId }, timeout.Token);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or OperationCanceledException)
        {
        }
    }

    string ObjectKey(string key)
    {
        BlobKey.Validate(key);
        return _prefix + key;
    }
}
