using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Carevault.Storage.Blobs;

namespace Carevault.Storage.Tests.Blobs;

/// <summary>S3-specific behaviour; the shared contract is in <see cref="S3BlobStoreContractTests"/>.</summary>
[Collection(S3rverGroup.Name)]
public sealed class S3BlobStoreTests(S3rverFixture s3rver) : IDisposable
{
    readonly string _prefix = $"t-{Guid.NewGuid():N}";
    readonly AmazonS3Client _raw = new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = s3rver.ServiceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public void Dispose() => _raw.Dispose();

    [Theory]
    [InlineData(1_000)]
    [InlineData(20_000_000)] // multipart
    public async Task Write_StoresExactlyTheBytesUnderThePrefixedKey(int length)
    {
        using var store = new S3BlobStore(s3rver.Options(_prefix + "/"));
        var bytes = BlobTestData.RandomBytes(length, seed: 21);

        await store.WriteAsync("a/b.bin", new MemoryStream(bytes), default);

        // No aws-chunked framing or trailing checksum stored with the object.
        using var response = await _raw.GetObjectAsync(S3rverFixture.Bucket, $"{_prefix}/a/b.bin");
        Assert.Equal(length, response.ContentLength);
        Assert.Equal(bytes, await BlobTestData.ReadAllAsync(response.ResponseStream));
    }

    [Fact]
    public async Task CheckWritable_LeavesNothingBehind()
    {
        using var store = new S3BlobStore(s3rver.Options(_prefix));

        await store.CheckWritableAsync(default);

        var listing = await _raw.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.Bucket, Prefix = _prefix });
        Assert.Empty(listing.S3Objects ?? []);
    }

    [Fact]
    public async Task CheckWritable_WhenBucketIsMissing_Throws()
    {
        var options = s3rver.Options(_prefix);
        options.Bucket = "no-such-bucket";
        using var store = new S3BlobStore(options);

        await Assert.ThrowsAsync<AmazonS3Exception>(() => store.CheckWritableAsync(default));
    }

    [Fact]
    public async Task OpenRead_WhenBucketIsMissing_ThrowsRatherThanReportingNotFound()
    {
        var options = s3rver.Options(_prefix);
        options.Bucket = "no-such-bucket";
        using var store = new S3BlobStore(options);

        await Assert.ThrowsAsync<AmazonS3Exception>(() => store.OpenReadAsync("a", default));
    }

    [Fact]
    public void Options_WhenValid_Pass()
    {
        s3rver.Options(_prefix).Validate();
        new S3BlobStoreOptions { Bucket = "b" }.Validate(); // AWS endpoint, default credential chain
    }

    [Theory]
    [InlineData(nameof(S3BlobStoreOptions.Bucket))]
    [InlineData(nameof(S3BlobStoreOptions.ServiceUrl))]
    [InlineData(nameof(S3BlobStoreOptions.SecretAccessKey))]
    [InlineData(nameof(S3BlobStoreOptions.PartSize))]
    [InlineData(nameof(S3BlobStoreOptions.Prefix))]
    public void Options_WhenInvalid_NameTheSetting(string setting)
    {
        var options = s3rver.Options(_prefix);
        switch (setting)
        {
            case nameof(S3BlobStoreOptions.Bucket): options.Bucket = " "; break;
            case nameof(S3BlobStoreOptions.ServiceUrl): options.ServiceUrl = "not a url"; break;
            case nameof(S3BlobStoreOptions.SecretAccessKey): options.SecretAccessKey = null; break;
            case nameof(S3BlobStoreOptions.PartSize): options.PartSize = S3BlobStoreOptions.MinPartSize - 1; break;
            case nameof(S3BlobStoreOptions.Prefix): options.Prefix = "../up"; break;
        }

        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains($"Blobs:S3:{setting}", error.Message, StringComparison.Ordinal);
    }
}
