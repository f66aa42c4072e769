using Carevault.Storage.Blobs;
using Carevault.Storage.Database;
using Carevault.Storage.Keys;
using Carevault.Storage.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the database, the migrator and the blob store. Settings are read when first resolved, so every
    /// configuration source (including test overrides) has been added by then.
    /// </summary>
    public static IServiceCollection AddCarevaultStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => StorageSettings.From(configuration));
        services.AddSingleton(sp => Db.Open(sp.GetRequiredService<StorageSettings>(), sp.GetRequiredService<MasterKeys>()));
        services.AddSingleton<Migrator>();
        services.AddSingleton(sp => MasterKeys.From(configuration, sp.GetRequiredService<StorageSettings>()));
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<StorageSettings>() is { BlobProvider: BlobProvider.S3, S3: { } s3 }
            ? new S3BlobStore(s3)
            : new LocalFolderBlobStore(sp.GetRequiredService<StorageSettings>().BlobPath));
        // Everything stored goes through encryption; the raw store is for the health probe and key rotation only.
        services.AddSingleton(sp =>
        {
            var masterKeys = sp.GetRequiredService<MasterKeys>();
            return new EncryptedBlobStore(sp.GetRequiredService<IBlobStore>(), () => masterKeys.Ring);
        });
        services.AddSingleton<IMasterKeyRewrapper, SqliteKeyFileRewrapper>();
        services.AddSingleton<MasterKeyRotation>();
        return services;
    }
}
