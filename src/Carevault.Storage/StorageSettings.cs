using Microsoft.Extensions.Configuration;

namespace Carevault.Storage;

/// <summary>
/// Storage settings with defaults filled in from <c>DataDirectory</c>: the effective database and blob locations.
/// </summary>
public sealed record StorageSettings
{
    public const string DefaultDataDirectory = "./data";

    public required string DataDirectory { get; init; }
    public required DatabaseOptions Database { get; init; }
    public required string BlobPath { get; init; }
    public required BlobProvider BlobProvider { get; init; }

    /// <summary>Set when <see cref="BlobProvider"/> is S3.</summary>
    public Blobs.S3BlobStoreOptions? S3 { get; init; }

    /// <summary>Reads and completes the settings; throws <see cref="InvalidOperationException"/> naming what is wrong.</summary>
    public static StorageSettings From(IConfiguration configuration)
    {
        var dataDirectory = configuration["DataDirectory"];
        if (string.IsNullOrWhiteSpace(dataDirectory)) dataDirectory = DefaultDataDirectory;

        var database = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            if (database.Provider == DatabaseProvider.Postgres)
                throw new InvalidOperationException("Database:ConnectionString is required when Database:Provider is Postgres.");
            database.ConnectionString = $"Data Source={Path.Combine(dataDirectory, "carevault.db")}";
        }
        if (database.SqliteBusyTimeoutMs is < 0 or > 600_000)
            throw new InvalidOperationException("Database:SqliteBusyTimeoutMs must be between 0 and 600000.");

        var blobs = configuration.GetSection("Blobs").Get<BlobOptions>() ?? new BlobOptions();
        var blobPath = string.IsNullOrWhiteSpace(blobs.Path) ? Path.Combine(dataDirectory, "blobs") : blobs.Path;

        Blobs.S3BlobStoreOptions? s3 = null;
        if (blobs.Provider == BlobProvider.S3)
        {
            s3 = configuration.GetSection("Blobs:S3").Get<Blobs.S3BlobStoreOptions>() ?? new Blobs.S3BlobStoreOptions();
            s3.Validate(); // throws InvalidOperationException naming the setting
        }

        return new StorageSettings { DataDirectory = dataDirectory, Database = database, BlobPath = blobPath, BlobProvider = blobs.Provider, S3 = s3 };
    }
}
