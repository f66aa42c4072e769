namespace Carevault.Storage.Blobs;

/// <summary>Settings of an S3-compatible bucket, bound from the <c>Blobs:S3</c> configuration section.</summary>
public sealed class S3BlobStoreOptions
{
    /// <summary>S3 multipart uploads reject parts under 5 MiB, except the last.</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>Endpoint of an S3-compatible server (<c>https://s3.example.org</c>); null for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    public string Bucket { get; set; } = "";

    /// <summary>Prepended to every key (e.g. <c>carevault/</c>); a trailing '/' is added when missing.</summary>
    public string? Prefix { get; set; }

    /// <summary>Signing region; S3-compatible servers usually accept <c>us-east-1</c>.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Path-style addressing (<c>host/bucket/key</c>), which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Access key id; with <see cref="SecretAccessKey"/> unset, the SDK's default credential chain is used.</summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>
    /// Bytes held in memory per upload: a blob up to this size is one PUT, a larger one a multipart upload of parts
    /// this size (at least <see cref="MinPartSize"/>; 10,000 parts of 8 MiB allow 78 GiB).
    /// </summary>
    public int PartSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
            throw new InvalidOperationException("Blobs:S3:Bucket is required when Blobs:Provider is S3.");
        if (ServiceUrl is not null && !Uri.TryCreate(ServiceUrl, UriKind.Absolute, out _))
            throw new InvalidOperationException("Blobs:S3:ServiceUrl must be an absolute URL.");
        if (string.IsNullOrWhiteSpace(AccessKeyId) != string.IsNullOrWhiteSpace(SecretAccessKey))
            throw new InvalidOperationException("Blobs:S3:AccessKeyId and Blobs:S3:SecretAccessKey are set together or not at all.");
        if (PartSize is < MinPartSize or > 512 * 1024 * 1024)
            throw new InvalidOperationException($"Blobs:S3:PartSize must be between {MinPartSize} and {512 * 1024 * 1024} bytes.");
        if (!string.IsNullOrEmpty(Prefix))
        {
            try
            {
                BlobKey.Validate(Prefix.TrimEnd('/'));
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"Blobs:S3:Prefix follows the blob key rules: {ex.Message}", ex);
            }
        }
    }
}
